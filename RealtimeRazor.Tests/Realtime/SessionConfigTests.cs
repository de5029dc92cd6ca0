using System.Text.Json.Nodes;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

public sealed class SessionConfigTests
{
    private static RealtimeOptions Options(string turnDetection = "server_vad") => new()
    {
        Model = "gpt-realtime-mini",
        Voice = "cedar",
        Instructions = "Answer in one \"short\" sentence.\nNo lists.",
        TranscriptionModel = "whisper-1",
        TurnDetection = turnDetection,
        ClientSecretSeconds = 90,
    };

    private static void AssertJsonEqual(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"Expected {expected}\nActual {actual.ToJsonString()}");

    [Fact]
    public void Server_vad_session_has_the_GA_shape()
    {
        AssertJsonEqual("""
            {
              "type": "realtime",
              "model": "gpt-realtime-mini",
              "instructions": "Answer in one \"short\" sentence.\nNo lists.",
              "output_modalities": ["audio"],
              "audio": {
                "input": {
                  "transcription": { "model": "whisper-1" },
                  "turn_detection": { "type": "server_vad", "create_response": true, "interrupt_response": true }
                },
                "output": { "voice": "cedar" }
              }
            }
            """, SessionConfig.Build(Options()));
    }

    [Fact]
    public void Semantic_vad_is_sent_as_a_semantic_vad_object()
    {
        var session = SessionConfig.Build(Options("semantic_vad"));

        AssertJsonEqual("""{ "type": "semantic_vad", "eagerness": "auto" }""", session["audio"]!["input"]!["turn_detection"]!);
    }

    [Fact]
    public void None_is_sent_as_an_explicit_json_null()
    {
        var session = SessionConfig.Build(Options("none"));

        var input = session["audio"]!["input"]!.AsObject();
        Assert.True(input.ContainsKey("turn_detection"), "turn_detection must be present (null), not omitted");
        Assert.Null(input["turn_detection"]);
        Assert.Contains("\"turn_detection\":null", session.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_build_the_documented_session()
    {
        var session = SessionConfig.Build(new RealtimeOptions());

        Assert.Equal("realtime", (string?)session["type"]);
        Assert.Equal("gpt-realtime", (string?)session["model"]);
        Assert.Equal("marin", (string?)session["audio"]!["output"]!["voice"]);
        Assert.Equal("gpt-4o-mini-transcribe", (string?)session["audio"]!["input"]!["transcription"]!["model"]);
        Assert.Equal("server_vad", (string?)session["audio"]!["input"]!["turn_detection"]!["type"]);
    }

    [Fact]
    public void Each_build_is_a_fresh_object()
    {
        var options = Options();
        var first = SessionConfig.Build(options);
        first["model"] = "changed";

        Assert.Equal("gpt-realtime-mini", (string?)SessionConfig.Build(options)["model"]);
    }

    [Fact]
    public void Client_secret_request_expires_after_the_configured_seconds_from_creation()
    {
        var options = Options("semantic_vad");

        var body = SessionConfig.ClientSecretRequest(options);

        Assert.Equal(["expires_after", "session"], body.Select(p => p.Key).Order());
        AssertJsonEqual("""{ "anchor": "created_at", "seconds": 90 }""", body["expires_after"]!);
        AssertJsonEqual(SessionConfig.Build(options).ToJsonString(), body["session"]!);
    }
}
