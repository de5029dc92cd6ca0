using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Scale;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Hosting;

public static class HealthExtensions
{
    public const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks().AddCheck<ConfigurationHealthCheck>("configuration", tags: [ReadyTag]);
        if (builder.Configuration.GetSection(RedisOptions.Section).Get<RedisOptions>() is { Enabled: true })
            checks.AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>/healthz: the process answers (no upstream calls). /readyz: it can start sessions.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return app;
    }

    /// <summary>Without Redis this instance refuses new sessions, so it is not ready; a load balancer sends them elsewhere.</summary>
    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                return HealthCheckResult.Unhealthy($"Redis (Redis:Configuration) cannot be reached: {ex.GetType().Name}.");
            }
        }
    }

    /// <summary>Options are validated at startup; what can still be missing is the key.</summary>
    private sealed class ConfigurationHealthCheck(IOptions<OpenAIOptions> openAI) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(openAI.Value.CanAuthenticate
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("No OpenAI API key is configured (OpenAI__ApiKey)."));
    }
}
