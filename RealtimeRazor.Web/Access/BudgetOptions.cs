namespace RealtimeRazor.Web.Access;

/// <summary>
/// Daily spending caps in US dollars, counted by the server from each call's own usage reports and
/// priced with <c>Realtime:Prices</c>. Unset means no cap. A day is a UTC day.
/// </summary>
public sealed class BudgetOptions
{
    /// <summary>What one user (or anonymous client address) may spend a day.</summary>
    public decimal? PerUserDailyUsd { get; set; }

    /// <summary>What the whole site may spend a day.</summary>
    public decimal? TotalDailyUsd { get; set; }
}
