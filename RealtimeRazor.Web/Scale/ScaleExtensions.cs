using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

/// <summary>
/// More than one instance: with <c>Redis:Configuration</c> set, what must hold across instances (session
/// caps and call ownership, rate limits, budgets, sign-in keys, which instance runs each call) lives in Redis. Unset,
/// nothing here is registered beyond the options, the in-memory session store and the in-memory spending ledger.
/// </summary>
public static class ScaleExtensions
{
    /// <summary>Every key this app writes starts with it, so a Redis shared with other apps stays tidy.</summary>
    public const string KeyPrefix = "realtime-razor:";

    public static WebApplicationBuilder AddSharedState(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RedisOptions>()
            .BindConfiguration(RedisOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();

        // Chosen from configuration at registration: the two stores are different services, not one switching at run time.
        if (builder.Configuration.GetSection(RedisOptions.Section).Get<RedisOptions>() is { Enabled: true })
        {
            builder.Services.AddSingleton<IConnectionMultiplexer>(services =>
                ConnectionMultiplexer.Connect(services.GetRequiredService<IOptions<RedisOptions>>().Value.Connection()));
            builder.Services.AddSingleton<ISessionStore, RedisSessionStore>();
            builder.Services.AddSingleton<ISpendingLedger, RedisSpendingLedger>();
            builder.Services.AddHostedService<CallStatusPublisher>();
            builder.Services.AddSingleton<RedisCallLeases>();
            builder.Services.AddSingleton<ICallLeases>(services => services.GetRequiredService<RedisCallLeases>());
            builder.Services.AddHostedService<CallTakeover>();
            builder.Services.AddHostedService<UnansweredToolCallRelay>();
        }
        else
        {
            builder.Services.AddSingleton<ISessionStore, InMemorySessionStore>();
            builder.Services.AddSingleton<ISpendingLedger, InMemorySpendingLedger>();
            builder.Services.AddSingleton<ICallLeases, NoCallLeases>();
        }
        return builder;
    }

    /// <summary>The shared connection, or null when this instance runs alone.</summary>
    public static IConnectionMultiplexer? SharedState(this IServiceProvider services) => services.GetService<IConnectionMultiplexer>();

    /// <summary>Where the Data Protection key ring lives when Redis is configured.</summary>
    public static RedisXmlRepository DataProtectionKeys(IConnectionMultiplexer redis) =>
        new(() => redis.GetDatabase(), KeyPrefix + "data-protection-keys");

    /// <summary>
    /// An instance that cannot reach Redis refuses what needs the shared state (starting a session, a
    /// rate-limited request) with a clear answer, rather than a server error or counting alone.
    /// Calls already running are not touched: their media never passes through here.
    /// </summary>
    public static WebApplication RefuseWhileSharedStateIsDown(this WebApplication app)
    {
        if (app.Services.SharedState() is null)
            return app;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ScaleExtensions).FullName!);
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException && !context.Response.HasStarted)
            {
                LogRefused(logger, context.Request.Path, ex.GetType().Name, null);
                context.Response.Clear();
                await Refusal.Of(ProblemCode.SharedStateUnavailable).ExecuteAsync(context);
            }
        });
        return app;
    }

    private static readonly Action<ILogger, string, string, Exception?> LogRefused = LoggerMessage.Define<string, string>(
        LogLevel.Warning, new EventId(1, "SharedStateUnavailable"), "Refused {Path}: Redis cannot be reached ({Failure})");
}
