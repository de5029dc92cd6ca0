using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Records;

/// <summary>Deletes conversations that started more than <see cref="RecordsOptions.RetainDays"/> ago, hourly.</summary>
public sealed partial class RetentionSweep(IServiceScopeFactory scopes, IOptions<RecordsOptions> options, TimeProvider time, ILogger<RetentionSweep> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    public static readonly TimeSpan FirstSweepAfter = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        // Not during startup: the first sweep waits a minute, so a short-lived process never races its own stop.
        await Task.Delay(FirstSweepAfter, time, stoppingToken);
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            await SweepAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <returns>How many conversations were deleted.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetainDays);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
            var deleted = await db.Conversations.Where(c => c.StartedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
            if (deleted > 0)
                LogSwept(logger, deleted, options.Value.RetainDays);
            return deleted;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            LogSweepFailed(logger, ex.GetType().Name);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} conversations older than {Days} days")]
    private static partial void LogSwept(ILogger logger, int count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The retention sweep could not reach the records database ({ExceptionType}); it runs again in an hour")]
    private static partial void LogSweepFailed(ILogger logger, string exceptionType);
}
