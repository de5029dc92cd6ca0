using RealtimeRazor.Web.Records;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Hangs up, upstream, every call that has reached the maximum session length (with Redis: every instance's calls, each once).</summary>
public sealed partial class SessionReaper(SessionRegistry registry, IServiceScopeFactory scopes, CallRecorder records, ILogger<SessionReaper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var sharedStateDown = false;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            SessionRegistry.ExpiredCalls expired;
            try
            {
                expired = registry.TakeExpiredCalls();
                sharedStateDown = false;
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                // Redis is down: nothing is lost, the expired calls are still there when it is back. Said once per outage.
                if (!sharedStateDown)
                    LogSharedStateUnavailable(logger, ex.GetType().Name);
                sharedStateDown = true;
                continue;
            }
            // Its instance died (nothing renewed its slot): nobody else will end its record.
            foreach (var callId in expired.SocketsLost)
                records.Lost(callId);
            foreach (var callId in expired.HangUp)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot look for calls past the maximum session length: Redis cannot be reached ({Failure})")]
    private static partial void LogSharedStateUnavailable(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} reached the maximum session length and was hung up")]
    private static partial void LogEnded(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} reached the maximum session length; hanging up failed: {Failure}")]
    private static partial void LogHangUpFailed(ILogger logger, string callId, UpstreamFailure failure);
}
