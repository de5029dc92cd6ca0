using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Web.Hosting;

public static class HealthExtensions
{
    public const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<ConfigurationHealthCheck>("configuration", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>/healthz: the process answers (no upstream calls). /readyz: it can start sessions.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return app;
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
