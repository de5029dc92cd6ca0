using System.Globalization;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Access;

/// <summary>
/// What each user, and the whole site, has spent today (UTC), as counted by the server from the usage
/// OpenAI reports for each call, never from the page. New sessions are refused once a budget is spent;
/// live calls learn from <see cref="Add"/> after each reply whether it was the last. Kept in this
/// process (one instance) or in Redis, so the budgets hold across instances and survive restarts.
/// </summary>
public interface ISpendingLedger
{
    /// <summary>
    /// Adds what a reply cost to its user's and the site's day; true when the user's or the site's budget
    /// is spent now. Never throws: a live call goes on when its usage cannot be counted.
    /// </summary>
    bool Add(string identity, decimal usd);

    /// <summary>Null while <paramref name="identity"/> may still spend; otherwise the refusal that says whose budget is spent and until when.</summary>
    /// <exception cref="StackExchange.Redis.RedisException">The shared ledger cannot be read: the session is refused, not allowed uncounted.</exception>
    Task<Refusal?> CheckAsync(string identity);
}

/// <summary>The budgets' arithmetic, the same wherever the spending is kept.</summary>
public static class Budgets
{
    /// <summary>When today's spending is forgotten: the next UTC midnight.</summary>
    public static DateTimeOffset ResetsAt(DateTimeOffset now) => new(DateOnly.FromDateTime(now.UtcDateTime).AddDays(1), TimeOnly.MinValue, TimeSpan.Zero);

    public static bool IsSpent(BudgetOptions budget, decimal user, decimal total) =>
        total >= budget.TotalDailyUsd || user >= budget.PerUserDailyUsd;

    public static Refusal? Check(BudgetOptions budget, decimal user, decimal total, DateTimeOffset now)
    {
        var resets = ResetsAt(now);
        var wait = resets - now;
        var resetsAt = resets.ToString("HH:mm", CultureInfo.InvariantCulture);
        if (budget.TotalDailyUsd is { } siteBudget && total >= siteBudget)
            return Refusal.Of(ProblemCode.SiteBudgetSpent, wait, ("resetsAt", resetsAt));
        if (budget.PerUserDailyUsd is { } userBudget && user >= userBudget)
            return Refusal.Of(ProblemCode.BudgetSpent, wait, ("budgetUsd", userBudget), ("resetsAt", resetsAt));
        return null;
    }

    public static bool AnySet(BudgetOptions budget) => budget.PerUserDailyUsd is not null || budget.TotalDailyUsd is not null;
}

/// <summary>One instance: today's spending in this process's memory (forgotten on restart).</summary>
public sealed class InMemorySpendingLedger(TimeProvider clock, IOptions<AccessOptions> access) : ISpendingLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, decimal> _byIdentity = new(StringComparer.Ordinal);
    private DateOnly _day;
    private decimal _total;

    public bool Add(string identity, decimal usd)
    {
        decimal user, total;
        lock (_gate)
        {
            RollOver();
            if (usd > 0)
            {
                _byIdentity[identity] = _byIdentity.GetValueOrDefault(identity) + usd;
                _total += usd;
            }
            user = _byIdentity.GetValueOrDefault(identity);
            total = _total;
        }
        return Budgets.IsSpent(access.Value.Budget, user, total);
    }

    public Task<Refusal?> CheckAsync(string identity)
    {
        decimal user, total;
        lock (_gate)
        {
            RollOver();
            user = _byIdentity.GetValueOrDefault(identity);
            total = _total;
        }
        return Task.FromResult(Budgets.Check(access.Value.Budget, user, total, clock.GetUtcNow()));
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
