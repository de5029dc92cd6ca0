using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Realtime.Calls;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

/// <summary>
/// With Redis: once a second, publishes the status of each call whose controller runs here (those that
/// changed) with its slot, so <c>GET /api/realtime/calls/{id}</c> answers on every instance, not only this one.
/// </summary>
public sealed partial class CallStatusPublisher(SessionRegistry registry, ISessionStore store, ILogger<CallStatusPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>What was last published per slot: an unchanged call costs nothing.</summary>
    private readonly Dictionary<string, CallStatus> _published = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var here = registry.ControllersHere().Select(call => (call.SlotId, Status: CallStatus.Of(call.Controller))).ToList();
            var changed = here.Where(call => !_published.TryGetValue(call.SlotId, out var last) || last != call.Status).ToList();
            try
            {
                if (changed.Count > 0)
                    await store.PublishStatusAsync(changed);
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                // The reaper says Redis is down. Everything is published again once it is back (it may come back empty).
                LogNotPublished(logger);
                _published.Clear();
                continue;
            }
            foreach (var (slotId, status) in changed)
                _published[slotId] = status;
            var live = here.Select(call => call.SlotId).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _published.Keys.Where(slotId => !live.Contains(slotId)).ToList())
                _published.Remove(gone);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call statuses not published: Redis cannot be reached")]
    private static partial void LogNotPublished(ILogger logger);
}
