using RealtimeRazor.Web.Realtime.Calls;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

/// <summary>With Redis: hears the unanswered function calls other instances pass on, for the calls whose controller runs here.</summary>
public sealed partial class UnansweredToolCallRelay(IConnectionMultiplexer redis, UnansweredToolCalls reports, ILogger<UnansweredToolCallRelay> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(UnansweredToolCalls.Channel, (_, message) => reports.OnPassed(message.ToString()));
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // The instance still starts: reports reaching it are answered for its own calls only.
            LogNotSubscribed(logger, ex.GetType().Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot hear other instances' reports of unanswered function calls: Redis cannot be reached ({Failure})")]
    private static partial void LogNotSubscribed(ILogger logger, string failure);
}
