using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime.Tools;

namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>What every call controller shares: settings, the sideband's address and key, logging.</summary>
public sealed class CallControllerContext(
    IOptions<OpenAIOptions> openAI, IOptions<RealtimeOptions> realtime, IOptions<BuiltInToolOptions> builtIns, IServiceProvider services, ILogger<CallController> logger)
{
    /// <summary>Pings well inside the ~5 minutes after which idle sidebands were seen dropped.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan ToolTimeout => TimeSpan.FromSeconds(realtime.Value.ToolTimeoutSeconds);
    public TimeSpan FarewellGrace => TimeSpan.FromSeconds(builtIns.Value.EndCall.GraceSeconds);
    public string? ApiKey => openAI.Value.ApiKey;
    public IServiceProvider Services => services;
    public ILogger Logger => logger;

    public Uri SidebandUrl(string callId) => openAI.Value.SidebandUrl(callId);
}
