using System.ComponentModel.DataAnnotations;

namespace RealtimeRazor.Web.Realtime;

public enum NegotiationMode
{
    /// <summary>The browser posts its SDP offer to this server, which forwards it with the server key.</summary>
    Relay,

    /// <summary>The server mints an ephemeral secret; the browser posts its offer to OpenAI itself.</summary>
    Direct,
}

public sealed class RealtimeOptions
{
    public const string Section = "Realtime";

    public static readonly IReadOnlyList<string> Voices = ["alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"];
    public static readonly IReadOnlyList<string> TurnDetectionModes = ["server_vad", "semantic_vad", "none"];

    /// <summary>The model id; with Azure OpenAI, the <b>deployment name</b>.</summary>
    [Required(ErrorMessage = "Realtime:Model is required.")]
    public string Model { get; set; } = "gpt-realtime";

    /// <summary>
    /// The model whose price the cost estimate uses (a key of <see cref="Prices"/>). Unset, it is
    /// <see cref="Model"/>: an Azure deployment is billed like the model it deploys, whatever its name.
    /// </summary>
    public string? PriceModel { get; set; }

    public string PricedModel => string.IsNullOrEmpty(PriceModel) ? Model : PriceModel;

    [Required(ErrorMessage = "Realtime:Voice is required.")]
    public string Voice { get; set; } = "marin";

    [Required(ErrorMessage = "Realtime:Instructions is required.")]
    [MaxLength(16_000, ErrorMessage = "Realtime:Instructions must be at most 16000 characters.")]
    public string Instructions { get; set; } =
        "You are a friendly, concise voice assistant. Speak naturally, keep answers short, and ask when something is unclear.";

    [Required(ErrorMessage = "Realtime:TranscriptionModel is required.")]
    public string TranscriptionModel { get; set; } = "gpt-4o-mini-transcribe";

    public string TurnDetection { get; set; } = "server_vad";

    public NegotiationMode Negotiation { get; set; } = NegotiationMode.Relay;

    public const string WebRtc = "WebRTC";
    public const string WebSocket = "WebSocket";

    /// <summary>
    /// How a page's call reaches OpenAI, in the order tried: WebRTC straight to OpenAI, then the WebSocket
    /// through this server when ICE does not connect within a few seconds (networks that block UDP).
    /// "WebSocket" alone sends every call through this server; "WebRTC" alone never does.
    /// </summary>
    public string Transports { get; set; } = WebRtc + "," + WebSocket;

    public IReadOnlyList<string> TransportList => [.. Transports.Split(',', StringSplitOptions.TrimEntries)];

    /// <summary>
    /// Lifetime of a Direct-mode ephemeral secret. The browser uses it at once, and it can start further
    /// sessions until it expires, so it is kept short. Its session slot is held this long until the page
    /// reports the call it started.
    /// </summary>
    [Range(10, 7200, ErrorMessage = "Realtime:ClientSecretSeconds must be between 10 and 7200.")]
    public int ClientSecretSeconds { get; set; } = 60;

    /// <summary>
    /// A hard cap on one session's length, which bounds its cost: the page ends the session itself and
    /// the server hangs the call up when it is over (in Direct mode, a call the page has reported).
    /// OpenAI's own cap is 60 minutes; Azure OpenAI's is 30, and a higher setting is lowered to it.
    /// </summary>
    [Range(0.05, 60, ErrorMessage = "Realtime:MaxSessionMinutes must be between 0.05 and 60.")]
    public double MaxSessionMinutes { get; set; } = 15;

    /// <summary>The configured <see cref="MaxSessionMinutes"/> when the upstream's own cap lowered it (reported at startup).</summary>
    public double? MaxSessionMinutesCappedFrom { get; private set; }

    /// <summary>Lowers <see cref="MaxSessionMinutes"/> to what the upstream allows; sessions past it would be cut by the upstream anyway.</summary>
    public void CapSessionLength(OpenAIOptions openAI)
    {
        if (openAI.Provider == UpstreamProvider.Azure && MaxSessionMinutes > OpenAIOptions.AzureMaxSessionMinutes)
        {
            MaxSessionMinutesCappedFrom = MaxSessionMinutes;
            MaxSessionMinutes = OpenAIOptions.AzureMaxSessionMinutes;
        }
    }

    /// <summary>
    /// The only session variants a page may ask for, by name. The page never sends a voice or
    /// instructions itself, so it cannot pick anything the operator did not list.
    /// </summary>
    public List<RealtimePreset> Presets { get; set; } = [];

    /// <summary>
    /// WARP's pre-negotiated data channel: the page creates <c>oai-events</c> with a fixed id and the
    /// offer names it (<c>dcid</c>), so OpenAI can send events as soon as the transport is up instead
    /// of after an in-band open. Unset means on for Relay calls to api.openai.com, whose guide documents
    /// exactly that, and off otherwise: another upstream (Azure, proxies, test fakes) that does not know
    /// <c>dcid</c> would leave the call without events, and the guide does not show it for Direct mode.
    /// </summary>
    public bool? PreNegotiatedDataChannel { get; set; }

    public bool UsesPreNegotiatedDataChannel(OpenAIOptions openAI) =>
        PreNegotiatedDataChannel ?? (Negotiation == NegotiationMode.Relay
            && string.Equals(openAI.BaseUrl.IsAbsoluteUri ? openAI.BaseUrl.Host : null, "api.openai.com", StringComparison.OrdinalIgnoreCase));

    /// <summary>How long a tool may run before the model is told it did not answer.</summary>
    [Range(1, 120, ErrorMessage = "Realtime:ToolTimeoutSeconds must be between 1 and 120.")]
    public double ToolTimeoutSeconds { get; set; } = 10;

    /// <summary>Whether the page may send its own instructions (at most <see cref="MaxCustomInstructions"/> characters).</summary>
    public bool AllowCustomInstructions { get; set; }

    /// <summary>Kept short enough to travel in a query string whatever the script (a CJK character is 9 bytes encoded).</summary>
    public const int MaxCustomInstructions = 600;

    /// <summary>Remote MCP servers offered to the model in every session (see <see cref="McpServerOptions"/>).</summary>
    public List<McpServerOptions> McpServers { get; set; } = [];

    /// <summary>USD per million tokens by model id, for the page's running cost estimate.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        // OpenAI's published list prices when this was written; override them in configuration.
        ["gpt-realtime"] = new() { AudioInput = 32m, AudioOutput = 64m, TextInput = 4m, TextOutput = 16m, CachedInput = 0.4m },
        ["gpt-realtime-mini"] = new() { AudioInput = 10m, AudioOutput = 20m, TextInput = 0.6m, TextOutput = 2.4m, CachedInput = 0.3m },
        ["gpt-realtime-2"] = new() { AudioInput = 32m, AudioOutput = 64m, TextInput = 4m, TextOutput = 24m, CachedInput = 0.4m },
        // No separate list price was found for these two: gpt-realtime-2's and the mini's text and cached rates are assumed.
        ["gpt-realtime-2.1"] = new() { AudioInput = 32m, AudioOutput = 64m, TextInput = 4m, TextOutput = 24m, CachedInput = 0.4m },
        ["gpt-realtime-2.1-mini"] = new() { AudioInput = 10m, AudioOutput = 20m, TextInput = 0.6m, TextOutput = 2.4m, CachedInput = 0.3m },
    };

    public RealtimePreset? FindPreset(string name) =>
        Presets.FirstOrDefault(preset => string.Equals(preset.Name, name, StringComparison.Ordinal));
}

/// <summary>A named session variant; unset fields fall back to the top-level Realtime settings.</summary>
public sealed class RealtimePreset
{
    public string Name { get; set; } = "";
    public string? Voice { get; set; }
    public string? Instructions { get; set; }
    public string? TurnDetection { get; set; }

    /// <summary>The tools this preset's sessions may call, by name; unset means every enabled tool.</summary>
    public List<string>? Tools { get; set; }
}

/// <summary>USD per one million tokens.</summary>
public sealed class ModelPrice
{
    public decimal AudioInput { get; set; }
    public decimal AudioOutput { get; set; }
    public decimal TextInput { get; set; }
    public decimal TextOutput { get; set; }
    public decimal CachedInput { get; set; }

    /// <summary>What <paramref name="usage"/> costs in US dollars, as OpenAI bills it (the page's estimate follows the same rule).</summary>
    public decimal Cost(TokenUsage usage) =>
        ((usage.InputAudio - usage.CachedAudio) * AudioInput
         + (usage.InputText - usage.CachedText) * TextInput
         + (usage.CachedAudio + usage.CachedText) * CachedInput
         + usage.OutputAudio * AudioOutput
         + usage.OutputText * TextOutput) / 1_000_000m;
}
