namespace RealtimeRazor.Web.Realtime;

/// <summary>Hangs up, upstream, every call that has reached the maximum session length.</summary>
public sealed partial class SessionReaper(SessionRegistry registry, IServiceScopeFactory scopes, ILogger<SessionReaper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var callId in registry.TakeExpiredCalls())
            {
                try
                {
                    using var scope = scopes.CreateScope();
                    await scope.ServiceProvider.GetRequiredService<OpenAIRealtimeClient>().HangUpAsync(callId, stoppingToken);
                    LogEnded(logger, callId);
                }
                catch (UpstreamException ex)
                {
                    LogHangUpFailed(logger, callId, ex.Failure);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} reached the maximum session length and was hung up")]
    private static partial void LogEnded(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} reached the maximum session length; hanging up failed: {Failure}")]
    private static partial void LogHangUpFailed(ILogger logger, string callId, UpstreamFailure failure);
}
