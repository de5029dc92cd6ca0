using Azure.Core;
using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// Says once at startup which upstream the site talks to and how it signs in, and when the upstream's
/// session cap lowered <c>Realtime:MaxSessionMinutes</c>: an operator should not have to guess either.
/// </summary>
public sealed partial class UpstreamStartupReport(IOptions<OpenAIOptions> openAI, IOptions<RealtimeOptions> realtime, IServiceProvider services, ILogger<UpstreamStartupReport> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var upstream = openAI.Value;
        var options = realtime.Value;
        var authentication = upstream switch
        {
            { UsesEntraId: true } => $"Microsoft Entra ID ({services.GetRequiredService<TokenCredential>().GetType().Name})",
            { HasApiKey: false } => "no API key",
            { Provider: UpstreamProvider.Azure } => "API key (api-key header)",
            _ => "API key (bearer)",
        };
        var origin = upstream.BaseUrl.GetLeftPart(UriPartial.Authority);
        var modelKind = upstream.Provider == UpstreamProvider.Azure ? "deployment" : "model";
        LogUpstream(logger, upstream.ProviderName, origin, modelKind, options.Model, authentication);
        if (options.MaxSessionMinutesCappedFrom is { } configured)
            LogCapped(logger, configured, upstream.ProviderName, options.MaxSessionMinutes);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream: {Provider} at {Origin}, {ModelKind} {Model}, signing in with {Authentication}")]
    private static partial void LogUpstream(ILogger logger, string provider, string origin, string modelKind, string model, string authentication);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Realtime:MaxSessionMinutes is {Configured}, but {Provider} ends sessions after {Cap} minutes: sessions are capped at {Cap} minutes")]
    private static partial void LogCapped(ILogger logger, double configured, string provider, double cap);
}
