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

    [Required(ErrorMessage = "Realtime:Model is required.")]
    public string Model { get; set; } = "gpt-realtime";

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

    /// <summary>
    /// Lifetime of a Direct-mode ephemeral secret. The browser uses it at once, and it can start further
    /// sessions until it expires, so it is kept short.
    /// </summary>
    [Range(10, 7200, ErrorMessage = "Realtime:ClientSecretSeconds must be between 10 and 7200.")]
    public int ClientSecretSeconds { get; set; } = 60;

    /// <summary>
    /// A hard cap on one session's length, which bounds its cost: the page ends the session itself and,
    /// in Relay mode, the server hangs the call up when it is over. OpenAI's own cap is 60 minutes.
    /// </summary>
    [Range(0.05, 60, ErrorMessage = "Realtime:MaxSessionMinutes must be between 0.05 and 60.")]
    public double MaxSessionMinutes { get; set; } = 15;
}
