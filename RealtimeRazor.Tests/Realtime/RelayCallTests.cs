using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>POST /api/realtime/calls in Relay mode: what reaches OpenAI and what the browser gets back.</summary>
public sealed class RelayCallTests : IDisposable
{
    private readonly TestApp app = new();

    public void Dispose() => app.Dispose();

    /// <summary>The multipart fields as raw bytes, so "byte-identical" means exactly that.</summary>
    private static async Task<Dictionary<string, (byte[] Body, Dictionary<string, string> Headers)>> PartsAsync(string contentType, byte[] body)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value!;
        var reader = new MultipartReader(boundary, new MemoryStream(body));
        var parts = new Dictionary<string, (byte[], Dictionary<string, string>)>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var name = HeaderUtilities.RemoveQuotes(ContentDispositionHeaderValue.Parse(section.ContentDisposition).Name).Value!;
            using var bytes = new MemoryStream();
            await section.Body.CopyToAsync(bytes);
            Assert.False(parts.ContainsKey(name), $"field {name} sent twice");
            parts[name] = (bytes.ToArray(), section.Headers!.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        }
        return parts;
    }

    private async Task<(WireMock.IRequestMessage Request, Dictionary<string, (byte[] Body, Dictionary<string, string> Headers)> Parts)> TheOnlyUpstreamCallAsync()
    {
        var request = Assert.Single(await app.UpstreamRequestsAsync("/realtime/calls")).RequestMessage!;
        Assert.Equal("POST", request.Method);
        var contentType = request.Headers!["Content-Type"].Single();
        Assert.StartsWith("multipart/form-data", contentType, StringComparison.Ordinal);
        return (request, await PartsAsync(contentType, request.BodyAsBytes!));
    }

    [Fact]
    public async Task The_offer_is_forwarded_with_the_server_key_and_the_answer_returned()
    {
        using var response = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/sdp", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(FakeOpenAI.StaticAnswer, await response.Content.ReadAsStringAsync());
        Assert.Equal($"/api/realtime/calls/{FakeOpenAI.CallId}", response.Headers.Location?.OriginalString);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());

        var (request, parts) = await TheOnlyUpstreamCallAsync();
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", request.Headers!["Authorization"].Single());
        Assert.Equal(["sdp", "session"], parts.Keys.Order());
        Assert.Equal(Encoding.UTF8.GetBytes(TestData.Offer), parts["sdp"].Body);
        var session = JsonNode.Parse(parts["session"].Body);
        Assert.True(JsonNode.DeepEquals(SessionConfig.Build(app.Realtime), session), $"session sent: {session?.ToJsonString()}");
    }

    [Fact]
    public async Task A_pre_negotiated_data_channel_id_reaches_OpenAI_as_dcid()
    {
        using var response = await app.Client.PostAsync("/api/realtime/calls?dcid=4", TestApp.Sdp(TestData.Offer));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var (request, parts) = await TheOnlyUpstreamCallAsync();
        Assert.Equal("4", Assert.Single(request.Query!["dcid"]));
        Assert.Equal(["sdp", "session"], parts.Keys.Order());
    }

    [Fact]
    public async Task Without_a_data_channel_id_OpenAI_gets_no_dcid()
    {
        using var response = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var (request, _) = await TheOnlyUpstreamCallAsync();
        Assert.False(request.Query?.ContainsKey("dcid") ?? false);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("65535")]
    [InlineData("4.5")]
    [InlineData("four")]
    [InlineData("")]
    public async Task An_impossible_data_channel_id_is_refused_before_OpenAI_is_called(string dcid)
    {
        using var response = await app.Client.PostAsync($"/api/realtime/calls?dcid={Uri.EscapeDataString(dcid)}", TestApp.Sdp(TestData.Offer));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_dcid", problem["code"]?.GetValue<string>());
        Assert.Contains("0 to 65534", problem["detail"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task An_https_upstream_is_called_over_HTTP2_so_concurrent_calls_share_a_warm_connection()
    {
        using var fake = new FakeOpenAI(tls: true);
        using var factory = new AppFactory(fake);
        using var client = factory.CreateClient();

        // Two at once: the per-user session cap in Development.
        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer))));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.Created, response.StatusCode));
        var calls = fake.Requests("/realtime/calls");
        Assert.Equal(2, calls.Count);
        Assert.All(calls, call => Assert.Equal("2", call.RequestMessage!.HttpVersion));
    }

    [Fact]
    public async Task The_fields_are_plain_form_fields_as_a_browser_sends_them()
    {
        using var response = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var (_, parts) = await TheOnlyUpstreamCallAsync();
        foreach (var (name, (_, headers)) in parts)
            Assert.False(headers.ContainsKey("Content-Type"), $"field {name} carries a Content-Type: {headers.GetValueOrDefault("Content-Type")}");
    }

    [Fact]
    public async Task A_non_ascii_offer_is_forwarded_byte_for_byte()
    {
        var offer = TestData.Offer.Replace("s=-", "s=Sitzung für Jürgen – 声", StringComparison.Ordinal);

        using var response = await app.PostOfferAsync(offer);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var (_, parts) = await TheOnlyUpstreamCallAsync();
        Assert.Equal(Encoding.UTF8.GetBytes(offer), parts["sdp"].Body);
    }

    [Fact]
    public async Task An_offer_of_exactly_64_KiB_is_accepted()
    {
        var offer = TestData.Offer + "a=x-pad:" + new string('p', RealtimeEndpoints.MaxOfferBytes - Encoding.UTF8.GetByteCount(TestData.Offer) - 10) + "\r\n";
        Assert.Equal(RealtimeEndpoints.MaxOfferBytes, Encoding.UTF8.GetByteCount(offer));

        using var response = await app.PostOfferAsync(offer);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var (_, parts) = await TheOnlyUpstreamCallAsync();
        Assert.Equal(Encoding.UTF8.GetBytes(offer), parts["sdp"].Body);
    }

    [Fact]
    public async Task Content_type_parameters_are_accepted()
    {
        using var response = await app.Client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer, "Application/SDP; charset=utf-8"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task Each_offer_is_one_upstream_call()
    {
        using var first = await app.PostOfferAsync();
        using var second = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls", 2);
    }
}

/// <summary>The configured session is what OpenAI receives.</summary>
public sealed class RelaySessionConfigTests
{
    [Theory]
    [InlineData("cedar", "none")]
    [InlineData("alloy", "semantic_vad")]
    public async Task The_session_field_follows_the_configuration(string voice, string turnDetection)
    {
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Realtime:Voice"] = voice,
            ["Realtime:TurnDetection"] = turnDetection,
            ["Realtime:Model"] = "gpt-realtime-mini",
            ["Realtime:Instructions"] = "Speak like a pirate.",
        });

        using var response = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var request = Assert.Single(await app.UpstreamRequestsAsync("/realtime/calls")).RequestMessage!;
        var fields = await Multipart.ReadFieldsAsync(request.Headers!["Content-Type"].Single(), request.Body!);
        var session = JsonNode.Parse(fields["session"])!;
        Assert.Equal(voice, (string?)session["audio"]!["output"]!["voice"]);
        Assert.Equal("gpt-realtime-mini", (string?)session["model"]);
        Assert.Equal("Speak like a pirate.", (string?)session["instructions"]);
        Assert.True(JsonNode.DeepEquals(SessionConfig.Build(app.Realtime), session));
    }

    [Fact]
    public async Task OPENAI_API_KEY_is_sent_when_OpenAI_ApiKey_is_unset()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["OpenAI:ApiKey"] = "", ["OPENAI_API_KEY"] = "sk-test-from-conventional-variable" });

        using var response = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var request = Assert.Single(await app.UpstreamRequestsAsync("/realtime/calls")).RequestMessage!;
        Assert.Equal("Bearer sk-test-from-conventional-variable", request.Headers!["Authorization"].Single());
    }
}
