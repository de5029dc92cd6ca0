using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Access;

/// <summary>
/// What each user, and the whole site, has spent today (UTC), as counted by the server from the usage
/// OpenAI reports for each call, never from the page. New sessions are refused once a budget is spent;
/// live calls ask <see cref="IsSpent"/> after each reply.
/// </summary>
public sealed class SpendingLedger(TimeProvider clock, IOptions<AccessOptions> access)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, decimal> _byIdentity = new(StringComparer.Ordinal);
    private DateOnly _day;
    private decimal _total;

    /// <summary>Adds what a reply cost to its user's and the site's day.</summary>
    public void Add(string identity, decimal usd)
    {
        if (usd <= 0)
            return;
        lock (_gate)
        {
            RollOver();
            _byIdentity[identity] = _byIdentity.GetValueOrDefault(identity) + usd;
            _total += usd;
        }
    }

    public decimal SpentToday(string identity)
    {
        lock (_gate)
        {
            RollOver();
            return _byIdentity.GetValueOrDefault(identity);
        }
    }

    /// <summary>When today's spending is forgotten: the next UTC midnight.</summary>
    public DateTimeOffset ResetsAt => new(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(1), TimeOnly.MinValue, TimeSpan.Zero);

    public bool IsSpent(string identity) => Check(identity) is not null;

    /// <summary>Null while <paramref name="identity"/> may still spend; otherwise the refusal that says whose budget is spent and until when.</summary>
    public Refusal? Check(string identity)
    {
        var budget = access.Value.Budget;
        decimal user, total;
        lock (_gate)
        {
            RollOver();
            user = _byIdentity.GetValueOrDefault(identity);
            total = _total;
        }
        var resets = ResetsAt;
        var wait = resets - clock.GetUtcNow();
        var resetsAt = resets.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        if (budget.TotalDailyUsd is { } siteBudget && total >= siteBudget)
            return Refusal.Of(ProblemCode.SiteBudgetSpent, wait, ("resetsAt", resetsAt));
        if (budget.PerUserDailyUsd is { } userBudget && user >= userBudget)
            return Refusal.Of(ProblemCode.BudgetSpent, wait, ("budgetUsd", userBudget), ("resetsAt", resetsAt));
        return null;
    }

    private void RollOver()
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (today == _day)
            return;
        _day = today;
        _byIdentity.Clear();
        _total = 0;
    }
}
