using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Realtime.Tools;
using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>What every call controller shares: settings, the sideband's address and credentials, the spending ledger, logging.</summary>
public sealed class CallControllerContext(
    IOptions<OpenAIOptions> openAI, IOptions<RealtimeOptions> realtime, IOptions<BuiltInToolOptions> builtIns, UpstreamAuthentication authentication,
    ISpendingLedger ledger, CallRecorder records, IServiceProvider services, ILogger<CallController> logger)
{
    /// <summary>Pings well inside the ~5 minutes after which idle sidebands were seen dropped.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan ToolTimeout => TimeSpan.FromSeconds(realtime.Value.ToolTimeoutSeconds);
    public TimeSpan FarewellGrace => TimeSpan.FromSeconds(builtIns.Value.EndCall.GraceSeconds);
    /// <summary>The same credentials as every other upstream call: a key (bearer or Azure's api-key) or an Entra ID token.</summary>
    public UpstreamAuthentication Authentication => authentication;

    public ISpendingLedger Ledger => ledger;

    /// <summary>Keeps the conversation: every server event of the call, as the controller receives it.</summary>
    public CallRecorder Records => records;

    /// <summary>What the configured model costs, for counting each reply's usage; null when no price is known.</summary>
    public ModelPrice? Price => realtime.Value.Prices.GetValueOrDefault(realtime.Value.PricedModel);
    public IServiceProvider Services => services;
    public ILogger Logger => logger;

    public Uri SidebandUrl(string callId) => openAI.Value.SidebandUrl(callId);
}
