using System.Text.Json.Nodes;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Builds the GA <c>session</c> object that OpenAI receives when a call or secret is created.</summary>
public static class SessionConfig
{
    public static JsonObject Build(RealtimeOptions options) => new()
    {
        ["type"] = "realtime",
        ["model"] = options.Model,
        ["instructions"] = options.Instructions,
        ["output_modalities"] = new JsonArray("audio"),
        ["audio"] = new JsonObject
        {
            ["input"] = new JsonObject
            {
                ["transcription"] = new JsonObject { ["model"] = options.TranscriptionModel },
                ["turn_detection"] = TurnDetection(options.TurnDetection),
            },
            ["output"] = new JsonObject { ["voice"] = options.Voice },
        },
    };

    /// <summary>Direct mode's request body for <c>POST /realtime/client_secrets</c>.</summary>
    public static JsonObject ClientSecretRequest(RealtimeOptions options) => new()
    {
        ["expires_after"] = new JsonObject { ["anchor"] = "created_at", ["seconds"] = options.ClientSecretSeconds },
        ["session"] = Build(options),
    };

    // "none" is sent as an explicit null: the client commits the audio buffer itself (push-to-talk).
    private static JsonObject? TurnDetection(string mode) => mode switch
    {
        "none" => null,
        "semantic_vad" => new JsonObject { ["type"] = "semantic_vad", ["eagerness"] = "auto" },
        _ => new JsonObject
        {
            ["type"] = "server_vad",
            ["create_response"] = true,
            ["interrupt_response"] = true,
        },
    };
}
