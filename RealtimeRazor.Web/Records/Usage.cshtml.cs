using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Web.Records;

/// <summary>Cost and minutes per user per UTC day from the records, for the names in <c>Access:Admins</c> only.</summary>
[Authorize(Policy = AccessExtensions.RealtimePolicy)]
public sealed class UsageModel(IOptions<AccessOptions> access, IOptions<RecordsOptions> records, IServiceProvider services, TimeProvider time) : LocalizedPageModel
{
    public const int Days = 30;

    public sealed record Row(DateOnly Day, string User, int Conversations, double Minutes, long CostMicros);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    /// <summary>Each day of the range with its total cost, oldest first: the chart's bars.</summary>
    public IReadOnlyList<(DateOnly Day, long CostMicros)> PerDay { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!IsAdmin)
            return StatusCode(StatusCodes.Status403Forbidden);
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken cancellationToken)
    {
        if (!IsAdmin)
            return StatusCode(StatusCodes.Status403Forbidden);
        await LoadAsync(cancellationToken);
        var csv = new StringBuilder("date,user,conversations,minutes,cost_usd\n");
        foreach (var row in Rows)
            csv.Append(CultureInfo.InvariantCulture, $"{row.Day:yyyy-MM-dd},{Field(row.User)},{row.Conversations},{row.Minutes:0.0},{row.CostMicros / 1_000_000m:0.000000}\n");
        return File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", "usage.csv");
    }

    private bool IsAdmin => records.Value.Enabled && User.Identity is { IsAuthenticated: true, Name: { } name } && access.Value.Admins.Contains(name, StringComparer.Ordinal);

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var from = today.AddDays(-(Days - 1)).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
        // Grouped here rather than in SQL: day boundaries and durations read the same on both providers.
        var conversations = await db.Conversations.AsNoTracking().Where(c => c.StartedAt >= from)
            .Select(c => new { c.Owner, c.StartedAt, c.EndedAt, c.CostMicros }).ToListAsync(cancellationToken);
        Rows = conversations
            .GroupBy(c => (Day: DateOnly.FromDateTime(c.StartedAt), c.Owner))
            .Select(g => new Row(g.Key.Day, g.Key.Owner, g.Count(), g.Sum(c => c.EndedAt is { } end ? (end - c.StartedAt).TotalMinutes : 0), g.Sum(c => c.CostMicros)))
            .OrderByDescending(r => r.Day).ThenBy(r => r.User, StringComparer.Ordinal).ToList();
        PerDay = Enumerable.Range(0, Days).Select(i => today.AddDays(i - (Days - 1)))
            .Select(day => (day, Rows.Where(r => r.Day == day).Sum(r => r.CostMicros))).ToList();
    }

    /// <summary>Quoted, and a leading formula character defused, so a user name cannot run in a spreadsheet.</summary>
    private static string Field(string value)
    {
        if (value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal))
            value = "'" + value;
        return "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string Cost(long micros) => HistoryModel.Cost(micros);
}
