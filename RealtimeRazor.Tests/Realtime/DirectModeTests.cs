using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>Direct negotiation: the server mints an ephemeral secret; each mode's endpoint is closed in the other.</summary>
public sealed class DirectModeTests
{
    private static TestApp Direct(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["Realtime:Negotiation"] = "Direct" };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return new TestApp(settings);
    }

    [Fact]
    public async Task A_secret_is_minted_with_the_server_key_and_the_session()
    {
        using var app = Direct();

        using var response = await app.Client.PostAsync("/api/realtime/client-secret", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var body = json.RootElement;
        Assert.Equal(["callsUrl", "expiresAt", "slot", "value"], body.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(FakeOpenAI.EphemeralKey, body.GetProperty("value").GetString());
        Assert.Equal(app.Fake.BaseUrl + "/realtime/calls", body.GetProperty("callsUrl").GetString());
        Assert.InRange(body.GetProperty("expiresAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddSeconds(30), DateTimeOffset.UtcNow.AddMinutes(2));

        var request = Assert.Single(await app.UpstreamRequestsAsync("/realtime/client_secrets")).RequestMessage!;
        Assert.Equal("POST", request.Method);
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", request.Headers!["Authorization"].Single());
        Assert.StartsWith("application/json", request.Headers["Content-Type"].Single(), StringComparison.Ordinal);
        var sent = JsonNode.Parse(request.Body!)!;
        var expected = new JsonObject
        {
            ["expires_after"] = new JsonObject { ["anchor"] = "created_at", ["seconds"] = 60 },
            ["session"] = SessionConfig.Build(app.Realtime),
        };
        Assert.True(JsonNode.DeepEquals(expected, sent), $"sent {sent.ToJsonString()}");
        Assert.Empty(app.Fake.Arrivals("/realtime/calls"));
    }

    [Fact]
    public async Task The_secret_lifetime_follows_the_configuration()
    {
        using var app = Direct(new() { ["Realtime:ClientSecretSeconds"] = "300" });

        using var response = await app.Client.PostAsync("/api/realtime/client-secret", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = Assert.Single(await app.UpstreamRequestsAsync("/realtime/client_secrets")).RequestMessage!;
        Assert.Equal(300, (int)JsonNode.Parse(request.Body!)!["expires_after"]!["seconds"]!);
    }

    [Fact]
    public async Task The_relay_endpoint_is_closed_in_Direct_mode()
    {
        using var app = Direct();

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "negotiation_mode_disabled");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task The_secret_endpoint_is_closed_in_Relay_mode()
    {
        using var app = new TestApp();

        using var response = await app.Client.PostAsync("/api/realtime/client-secret", null);

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "negotiation_mode_disabled");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Theory]
    [InlineData(401, HttpStatusCode.BadGateway, "upstream_key_refused")]
    [InlineData(403, HttpStatusCode.BadGateway, "upstream_key_refused")]
    [InlineData(429, HttpStatusCode.TooManyRequests, "upstream_rate_limited")]
    [InlineData(400, HttpStatusCode.BadGateway, "upstream_rejected")]
    [InlineData(500, HttpStatusCode.BadGateway, "upstream_unavailable")]
    public async Task Mint_failures_are_mapped_like_call_failures(int upstream, HttpStatusCode expected, string code)
    {
        using var app = Direct();
        app.Fake.Fail("/realtime/client_secrets", upstream,
            body: $$$"""{"error":{"message":"Incorrect API key provided: {{{FakeOpenAI.ApiKey}}}","code":"invalid_api_key"}}""");

        using var response = await app.Client.PostAsync("/api/realtime/client-secret", null);

        await Problem.AssertAsync(response, expected, code);
        Assert.DoesNotContain(FakeOpenAI.ApiKey, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.UpstreamRequestsAsync("/realtime/client_secrets");
    }

    [Theory]
    [InlineData("""{"expires_at": 1900000000}""")]
    [InlineData("""{"value": "", "expires_at": 1900000000}""")]
    [InlineData("""{"value": "ek_x"}""")]
    [InlineData("""{"value": "ek_x", "expires_at": "tomorrow"}""")]
    [InlineData("""[]""")]
    [InlineData("""not json""")]
    public async Task An_unreadable_secret_is_an_invalid_answer(string body)
    {
        using var app = Direct();
        app.Fake.Fail("/realtime/client_secrets", 200, body: body);

        using var response = await app.Client.PostAsync("/api/realtime/client-secret", null);

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_invalid_answer");
        await app.UpstreamRequestsAsync("/realtime/client_secrets");
    }
}
