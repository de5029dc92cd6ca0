using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>The page names a preset; the server alone decides what that session looks like.</summary>
public sealed class PresetTests : IDisposable
{
    private readonly FakeOpenAI _openAI = new();

    private static readonly Dictionary<string, string?> Presets = new()
    {
        ["Realtime:Presets:0:Name"] = "tutor",
        ["Realtime:Presets:0:Voice"] = "cedar",
        ["Realtime:Presets:0:Instructions"] = "You are a patient language tutor.",
        ["Realtime:Presets:0:TurnDetection"] = "semantic_vad",
        ["Realtime:Presets:1:Name"] = "walkie",
        ["Realtime:Presets:1:TurnDetection"] = "none",
    };

    private static Dictionary<string, string?> With(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>(Presets);
        foreach (var (key, value) in extra)
            settings[key] = value;
        return settings;
    }

    private static StringContent Offer() => new(FakeOpenAI.StaticAnswer, Encoding.UTF8, "application/sdp");

    private async Task<JsonObject> UpstreamSessionAsync()
    {
        var request = Assert.Single(_openAI.Requests("/realtime/calls")).RequestMessage!;
        var fields = await Multipart.ReadFieldsAsync(request.Headers!["Content-Type"].Single(), request.Body!);
        return JsonNode.Parse(fields["session"])!.AsObject();
    }

    [Fact]
    public async Task A_relay_call_with_a_preset_sends_the_presets_voice_instructions_and_turn_detection()
    {
        await using var app = new AppFactory(_openAI, With());
        using var client = app.CreateClient();

        using var response = await client.PostAsync("/api/realtime/calls?preset=tutor", Offer());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await UpstreamSessionAsync();
        Assert.Equal("cedar", (string?)session["audio"]!["output"]!["voice"]);
        Assert.Equal("You are a patient language tutor.", (string?)session["instructions"]);
        Assert.Equal("semantic_vad", (string?)session["audio"]!["input"]!["turn_detection"]!["type"]);
    }

    [Fact]
    public async Task Unset_preset_fields_fall_back_to_the_base_settings()
    {
        await using var app = new AppFactory(_openAI, With(("Realtime:Voice", "sage")));
        using var client = app.CreateClient();

        using var response = await client.PostAsync("/api/realtime/calls?preset=walkie", Offer());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await UpstreamSessionAsync();
        Assert.Equal("sage", (string?)session["audio"]!["output"]!["voice"]);
        Assert.True(session["audio"]!["input"]!.AsObject().ContainsKey("turn_detection"));
        Assert.Null(session["audio"]!["input"]!["turn_detection"]);
    }

    [Fact]
    public async Task A_direct_secret_with_a_preset_carries_the_presets_session()
    {
        await using var app = new AppFactory(_openAI, With(("Realtime:Negotiation", "Direct")));
        using var client = app.CreateClient();

        using var response = await client.PostAsync("/api/realtime/client-secret?preset=tutor", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(Assert.Single(_openAI.Requests("/realtime/client_secrets")).RequestMessage!.Body!)!;
        Assert.Equal("cedar", (string?)body["session"]!["audio"]!["output"]!["voice"]);
        Assert.Equal("You are a patient language tutor.", (string?)body["session"]!["instructions"]);
    }

    [Theory]
    [InlineData("Relay", "/api/realtime/calls?preset=nope")]
    [InlineData("Relay", "/api/realtime/calls?preset=TUTOR")]
    [InlineData("Direct", "/api/realtime/client-secret?preset=nope")]
    public async Task An_unknown_preset_is_refused_before_anything_is_spent_upstream(string mode, string url)
    {
        await using var app = new AppFactory(_openAI, With(("Realtime:Negotiation", mode)));
        using var client = app.CreateClient();

        using var response = await client.PostAsync(url, mode == "Relay" ? Offer() : null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("unknown_preset", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
        Assert.Empty(_openAI.Arrivals());
    }

    [Fact]
    public async Task Custom_instructions_are_refused_unless_the_operator_allows_them()
    {
        await using var app = new AppFactory(_openAI, With());
        using var client = app.CreateClient();

        using var response = await client.PostAsync("/api/realtime/calls?instructions=Talk%20like%20a%20pirate", Offer());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("custom_instructions_disabled", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
        Assert.Empty(_openAI.Arrivals());
    }

    [Fact]
    public async Task Allowed_custom_instructions_replace_the_presets_and_are_capped()
    {
        await using var app = new AppFactory(_openAI, With(("Realtime:AllowCustomInstructions", "true")));
        using var client = app.CreateClient();

        using var tooLong = await client.PostAsync("/api/realtime/calls?instructions=" + new string('x', 601), Offer());
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Empty(_openAI.Arrivals());

        using var response = await client.PostAsync("/api/realtime/calls?preset=tutor&instructions=" + Uri.EscapeDataString("日本語で話してください。"), Offer());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await UpstreamSessionAsync();
        Assert.Equal("日本語で話してください。", (string?)session["instructions"]);
        Assert.Equal("cedar", (string?)session["audio"]!["output"]!["voice"]);
    }

    public static TheoryData<string, string, string> BadPresets => new()
    {
        { "Realtime:Presets:1:Name", "tutor", "Realtime:Presets:1:Name 'tutor' is used by more than one preset" },
        { "Realtime:Presets:1:Voice", "robot", "Realtime:Presets:1:Voice must be one of" },
        { "Realtime:Presets:0:TurnDetection", "sometimes", "Realtime:Presets:0:TurnDetection must be one of" },
        { "Realtime:Presets:0:Name", "two words", "Realtime:Presets:0:Name must be" },
        { "Realtime:Prices:gpt-realtime:AudioOutput", "-1", "Realtime:Prices:gpt-realtime:AudioOutput must not be negative" },
    };

    [Theory]
    [MemberData(nameof(BadPresets))]
    public void A_bad_preset_or_price_fails_validation_naming_the_key(string key, string value, string message)
    {
        // Program turns this failure into one log line and exit code 1, so the validator is checked directly.
        var options = new ConfigurationBuilder().AddInMemoryCollection(With((key, value))).Build()
            .GetSection(RealtimeOptions.Section).Get<RealtimeOptions>()!;

        var result = new RealtimeOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, text => text.Contains(message, StringComparison.Ordinal));
        Assert.False(new RealtimeOptionsValidator().Validate(null, new ConfigurationBuilder().AddInMemoryCollection(With()).Build()
            .GetSection(RealtimeOptions.Section).Get<RealtimeOptions>()!).Failed);
    }

    [Fact]
    public async Task Prices_have_defaults_and_can_be_overridden_per_model()
    {
        await using var app = new AppFactory(_openAI, With(("Realtime:Prices:gpt-realtime:AudioInput", "40"), ("Realtime:Prices:my-model:TextOutput", "1.5")));
        using var client = app.CreateClient();

        var prices = app.Services.GetRequiredService<IOptions<RealtimeOptions>>().Value.Prices;

        Assert.Equal(40m, prices["gpt-realtime"].AudioInput);
        Assert.Equal(64m, prices["gpt-realtime"].AudioOutput);
        Assert.Equal(20m, prices["gpt-realtime-mini"].AudioOutput);
        Assert.Equal(1.5m, prices["my-model"].TextOutput);
    }

    public void Dispose() => _openAI.Dispose();
}
