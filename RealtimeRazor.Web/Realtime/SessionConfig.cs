using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using RealtimeRazor.Web.Realtime.Tools;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Realtime;

/// <summary>What varies between sessions: the base configuration, a preset, or custom instructions.</summary>
/// <param name="Tools">The preset's tool names; null means every enabled tool.</param>
public sealed record SessionSettings(string Voice, string Instructions, string TurnDetection, IReadOnlyList<string>? Tools = null)
{
    public static SessionSettings From(RealtimeOptions options) => new(options.Voice, options.Instructions, options.TurnDetection);

    public static SessionSettings From(RealtimeOptions options, RealtimePreset preset) => new(
        preset.Voice ?? options.Voice,
        preset.Instructions ?? options.Instructions,
        preset.TurnDetection ?? options.TurnDetection,
        preset.Tools);
}

/// <summary>Builds the GA <c>session</c> object that OpenAI receives when a call or secret is created.</summary>
public static class SessionConfig
{
    public static JsonObject Build(RealtimeOptions options) => Build(options, SessionSettings.From(options));

    /// <param name="tools">The session's tools, answered by the call's controller over the sideband.</param>
    public static JsonObject Build(RealtimeOptions options, SessionSettings settings, IReadOnlyList<AIFunction>? tools = null)
    {
        var session = WithoutTools(options, settings);
        var described = RealtimeTools.Describe(tools ?? []);
        foreach (var server in options.McpServers)
            described.Add(McpTool(server));
        if (described.Count > 0)
        {
            session["tools"] = described;
            session["tool_choice"] = "auto";
        }
        return session;
    }

    /// <summary>OpenAI's <c>mcp</c> tool: OpenAI lists the server's tools and calls them; approvals go through the page.</summary>
    private static JsonObject McpTool(McpServerOptions server)
    {
        var tool = new JsonObject
        {
            ["type"] = "mcp",
            ["server_label"] = server.Label,
            ["server_url"] = server.ServerUrl?.AbsoluteUri,
            ["require_approval"] = server.RequireApproval,
        };
        if (server.AllowedTools is { } allowed)
            tool["allowed_tools"] = new JsonArray([.. allowed.Select(name => JsonValue.Create(name))]);
        if (!string.IsNullOrEmpty(server.Authorization))
            tool["authorization"] = server.Authorization;
        return tool;
    }

    private static JsonObject WithoutTools(RealtimeOptions options, SessionSettings settings) => new()
    {
        ["type"] = "realtime",
        ["model"] = options.Model,
        ["instructions"] = settings.Instructions,
        ["output_modalities"] = new JsonArray("audio"),
        ["audio"] = new JsonObject
        {
            ["input"] = new JsonObject
            {
                ["transcription"] = new JsonObject { ["model"] = options.TranscriptionModel },
                ["turn_detection"] = TurnDetection(settings.TurnDetection),
            },
            ["output"] = new JsonObject { ["voice"] = settings.Voice },
        },
    };

    /// <summary>Direct mode's request body for <c>POST /realtime/client_secrets</c>.</summary>
    public static JsonObject ClientSecretRequest(RealtimeOptions options) => ClientSecretRequest(options, SessionSettings.From(options));

    public static JsonObject ClientSecretRequest(RealtimeOptions options, SessionSettings settings, IReadOnlyList<AIFunction>? tools = null) => new()
    {
        ["expires_after"] = new JsonObject { ["anchor"] = "created_at", ["seconds"] = options.ClientSecretSeconds },
        ["session"] = Build(options, settings, tools),
    };

    // "none" is sent as an explicit null: the client commits the audio buffer itself (push-to-talk).
    // Public so the page can restore the configured mode after leaving push-to-talk.
    public static JsonObject? TurnDetection(string mode) => mode switch
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

    /// <summary>
    /// Turns the page's choice (a preset name, optional custom instructions) into settings, or
    /// refuses it before anything is spent upstream.
    /// </summary>
    public static Refusable<SessionSettings> Resolve(RealtimeOptions options, string? preset, string? instructions)
    {
        var settings = SessionSettings.From(options);
        if (!string.IsNullOrEmpty(preset))
        {
            if (options.FindPreset(preset) is not { } found)
                return Refusal.Of(ProblemCode.UnknownPreset);
            settings = SessionSettings.From(options, found);
        }
        if (!string.IsNullOrEmpty(instructions))
        {
            if (!options.AllowCustomInstructions)
                return Refusal.Of(ProblemCode.CustomInstructionsDisabled);
            if (instructions.Length > RealtimeOptions.MaxCustomInstructions)
                return Refusal.Of(ProblemCode.InstructionsTooLong, ("maxCharacters", RealtimeOptions.MaxCustomInstructions));
            settings = settings with { Instructions = instructions };
        }
        return settings;
    }
}
