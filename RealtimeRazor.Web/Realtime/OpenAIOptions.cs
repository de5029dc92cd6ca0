using System.ComponentModel.DataAnnotations;

namespace RealtimeRazor.Web.Realtime;

public sealed class OpenAIOptions
{
    public const string Section = "OpenAI";

    /// <summary>Server API key; never sent to the browser. <c>OPENAI_API_KEY</c> is read when this is unset.</summary>
    public string? ApiKey { get; set; }

    [Required(ErrorMessage = "OpenAI:BaseUrl is required.")]
    public Uri BaseUrl { get; set; } = new("https://api.openai.com/v1");

    /// <summary>How long one upstream call may take before the browser gets 504.</summary>
    [Range(1, 120, ErrorMessage = "OpenAI:TimeoutSeconds must be between 1 and 120.")]
    public int TimeoutSeconds { get; set; } = 20;

    public bool HasApiKey => !string.IsNullOrWhiteSpace(ApiKey);

    // Options validation reads every public property, so these two must not throw on a BaseUrl that
    // validation is about to refuse (relative or missing): that would end startup with a stack trace.

    /// <summary>The upstream base with a trailing slash, so relative paths append instead of replacing "v1".</summary>
    public Uri BaseAddress => BaseUrl is { IsAbsoluteUri: true } url && !url.AbsoluteUri.EndsWith('/') ? new Uri(url.AbsoluteUri + "/") : BaseUrl;

    public Uri CallsUrl => BaseAddress is { IsAbsoluteUri: true } address ? new(address, "realtime/calls") : BaseAddress;

    /// <summary>The sideband of a live call: <c>wss://{host}/v1/realtime?call_id=…</c> (ws:// for a plain-http upstream).</summary>
    public Uri SidebandUrl(string callId) => new UriBuilder(new Uri(BaseAddress, "realtime"))
    {
        Scheme = BaseAddress.Scheme == Uri.UriSchemeHttp ? Uri.UriSchemeWs : Uri.UriSchemeWss,
        Query = "call_id=" + Uri.EscapeDataString(callId),
    }.Uri;
}
