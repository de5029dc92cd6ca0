using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Records;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

/// <summary>
/// Every instance, with Redis: renews the leases of the calls it runs, and takes over the calls of an
/// instance that stopped renewing (it died): a new controller reopens the call's sideband with the server
/// key and goes on answering tools, counting usage and appending to the call's record. The WebRTC media
/// never passed through the dead instance, so the user's conversation goes on. Kill → sideband reopened is
/// at most the lease's <see cref="RedisCallLeases.Ttl"/> + <see cref="WatchEvery"/> + the reopening itself.
/// </summary>
public sealed partial class CallTakeover(RedisCallLeases leases, SessionRegistry registry, CallRecorder records, ILogger<CallTakeover> logger) : BackgroundService
{
    public static readonly TimeSpan WatchEvery = TimeSpan.FromMilliseconds(500);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            EveryAsync(RedisCallLeases.RenewEvery, Renew, stoppingToken),
            EveryAsync(WatchEvery, TakeOverExpired, stoppingToken));

    /// <summary>
    /// On a normal stop the leases are not released: the calls go on at OpenAI, and the survivors take them
    /// over once the leases expire, after this instance's controllers have closed their sidebands.
    /// </summary>
    private async Task EveryAsync(TimeSpan interval, Action step, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        var sharedStateDown = false;
        while (await NextTickAsync(timer, stoppingToken))
        {
            try
            {
                step();
                sharedStateDown = false;
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                // Redis is down: the calls go on; leases are renewed (or taken over) once it is back. Said once per outage.
                if (!sharedStateDown)
                    LogSharedStateUnavailable(logger, ex.GetType().Name);
                sharedStateDown = true;
            }
        }
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Renew()
    {
        // The WebSocket calls' slots, on the same beat: a dead instance's lapse as its leases do.
        foreach (var callId in registry.RenewOpenSlots())
            records.StillLive(callId);
        foreach (var callId in leases.Renew())
        {
            // Too slow to renew, and another instance claimed it: one controller per call, and that one is there.
            LogLost(logger, callId);
            records.HandedOver(callId);
            registry.LetGo(callId);
        }
    }

    private void TakeOverExpired()
    {
        foreach (var call in leases.ClaimExpired())
        {
            if (call.Record is { } record)
                records.Describe(call.CallId, record);
            if (registry.TakeOver(call))
                LogTakenOver(logger, call.CallId, call.Mode);
            else
                leases.Hold(call); // Its controller already runs here: the lease is simply ours again.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Took over call {CallId} ({Mode}): the instance running it stopped renewing its lease")]
    private static partial void LogTakenOver(ILogger logger, string callId, NegotiationMode mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} is run by another instance now (its lease was not renewed in time); closing its controller here")]
    private static partial void LogLost(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot renew or take over call leases: Redis cannot be reached ({Failure})")]
    private static partial void LogSharedStateUnavailable(ILogger logger, string failure);
}
