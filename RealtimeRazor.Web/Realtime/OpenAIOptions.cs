using System.ComponentModel.DataAnnotations;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Who serves the Realtime API. Azure's GA interface mirrors OpenAI's, with its own authentication and limits.</summary>
public enum UpstreamProvider
{
    OpenAI,
    Azure,
}

public sealed class OpenAIOptions
{
    public const string Section = "OpenAI";

    /// <summary>Azure OpenAI ends every Realtime session after this long, whatever the client asks for.</summary>
    public const double AzureMaxSessionMinutes = 30;

    public UpstreamProvider Provider { get; set; } = UpstreamProvider.OpenAI;

    /// <summary>
    /// Server API key; never sent to the browser. When unset, <c>OPENAI_API_KEY</c> is read (OpenAI) or
    /// <c>AZURE_OPENAI_API_KEY</c> (Azure). Azure without a key signs in with Microsoft Entra ID.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Azure with Entra ID only: the client id of the user-assigned managed identity to sign in as.
    /// Unset, <c>DefaultAzureCredential</c> picks the identity (environment, workload or managed identity, Azure CLI, ...).
    /// </summary>
    public string? ManagedIdentityClientId { get; set; }

    [Required(ErrorMessage = "OpenAI:BaseUrl is required.")]
    public Uri BaseUrl { get; set; } = new("https://api.openai.com/v1");

    /// <summary>How long one upstream call may take before the browser gets 504.</summary>
    [Range(1, 120, ErrorMessage = "OpenAI:TimeoutSeconds must be between 1 and 120.")]
    public int TimeoutSeconds { get; set; } = 20;

    public bool HasApiKey => !string.IsNullOrWhiteSpace(ApiKey);

    /// <summary>Azure without a key: bearer tokens from Microsoft Entra ID.</summary>
    public bool UsesEntraId => Provider == UpstreamProvider.Azure && !HasApiKey;

    /// <summary>Whether the server has a way to authenticate upstream at all; without one, Connect stays disabled.</summary>
    public bool CanAuthenticate => HasApiKey || UsesEntraId;

    // Options validation reads every public property, so these must not throw on a BaseUrl that
    // validation is about to refuse (relative or missing): that would end startup with a stack trace.

    /// <summary>The upstream base with a trailing slash, so relative paths append instead of replacing "v1".</summary>
    public Uri BaseAddress => BaseUrl is { IsAbsoluteUri: true } url && !url.AbsoluteUri.EndsWith('/') ? new Uri(url.AbsoluteUri + "/") : BaseUrl;

    public Uri CallsUrl => BaseAddress is { IsAbsoluteUri: true } address ? new(address, "realtime/calls") : BaseAddress;

    /// <summary>
    /// Where the browser posts its own offer (Direct mode). Azure's <c>webrtcfilter=on</c> keeps the
    /// instructions and tool traffic off the browser's data channel.
    /// </summary>
    public string? BrowserCallsUrl => Provider == UpstreamProvider.Azure && CallsUrl is { } calls ? calls + "?webrtcfilter=on" : CallsUrl?.ToString();

    /// <summary>The upstream's name as users and logs see it.</summary>
    public string ProviderName => Provider == UpstreamProvider.Azure ? "Azure OpenAI" : "OpenAI";

    /// <summary>
    /// The Realtime WebSocket interface for a new session: <c>wss://{host}/v1/realtime?model=…</c> (Azure:
    /// <c>/openai/v1/realtime?model={deployment}</c>; ws:// for a plain-http upstream).
    /// </summary>
    public Uri RealtimeUrl(string model) => new UriBuilder(new Uri(BaseAddress, "realtime"))
    {
        Scheme = BaseAddress.Scheme == Uri.UriSchemeHttp ? Uri.UriSchemeWs : Uri.UriSchemeWss,
        Query = "model=" + Uri.EscapeDataString(model),
    }.Uri;

    /// <summary>The sideband of a live call: <c>wss://{host}/v1/realtime?call_id=…</c> (ws:// for a plain-http upstream).</summary>
    public Uri SidebandUrl(string callId) => new UriBuilder(new Uri(BaseAddress, "realtime"))
    {
        Scheme = BaseAddress.Scheme == Uri.UriSchemeHttp ? Uri.UriSchemeWs : Uri.UriSchemeWss,
        Query = "call_id=" + Uri.EscapeDataString(callId),
    }.Uri;
}
