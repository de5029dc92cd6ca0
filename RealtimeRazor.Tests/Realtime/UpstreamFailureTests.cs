using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>
/// OpenAI failures reach the browser as problem+json with a code, after exactly one upstream call
/// (a retried offer would start a second, billed session), and never with OpenAI's own message.
/// </summary>
public sealed class UpstreamFailureTests
{
    private const string MessageMarker = "UPSTREAM-MESSAGE-MARKER";

    /// <summary>An error body that, like OpenAI's, quotes the key in its message.</summary>
    private static string ErrorBody(string code) =>
        $$$"""{"error":{"message":"Incorrect API key provided: {{{FakeOpenAI.ApiKey}}}. {{{MessageMarker}}}","type":"invalid_request_error","param":null,"code":"{{{code}}}"}}""";

    private static async Task<string> AssertNothingLeakedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(FakeOpenAI.ApiKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain(MessageMarker, body, StringComparison.Ordinal);
        Assert.DoesNotContain("Incorrect API key provided", body, StringComparison.Ordinal);
        foreach (var (_, values) in response.Headers.Concat(response.Content.Headers))
            Assert.DoesNotContain(values, value => value.Contains(FakeOpenAI.ApiKey, StringComparison.Ordinal));
        return body;
    }

    [Theory]
    [InlineData(401, HttpStatusCode.BadGateway, "upstream_key_refused")]
    [InlineData(403, HttpStatusCode.BadGateway, "upstream_key_refused")]
    [InlineData(500, HttpStatusCode.BadGateway, "upstream_unavailable")]
    [InlineData(502, HttpStatusCode.BadGateway, "upstream_unavailable")]
    [InlineData(503, HttpStatusCode.BadGateway, "upstream_unavailable")]
    [InlineData(400, HttpStatusCode.BadGateway, "upstream_rejected")]
    [InlineData(422, HttpStatusCode.BadGateway, "upstream_rejected")]
    public async Task An_upstream_error_status_is_mapped(int upstream, HttpStatusCode expected, string code)
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", upstream, body: ErrorBody("invalid_api_key"));

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, expected, code);
        await AssertNothingLeakedAsync(response);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task A_rate_limit_passes_Retry_After_on()
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", 429, body: ErrorBody("rate_limit_exceeded"), headers: new Dictionary<string, string> { ["Retry-After"] = "7" });

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "upstream_rate_limited");
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        await AssertNothingLeakedAsync(response);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task A_rate_limit_without_Retry_After_sends_none()
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", 429, body: ErrorBody("rate_limit_exceeded"));

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "upstream_rate_limited");
        Assert.Null(response.Headers.RetryAfter);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task A_rejection_names_OpenAIs_code_but_not_its_message()
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", 400, body: ErrorBody("invalid_session_config"));

        using var response = await app.PostOfferAsync();

        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_rejected");
        Assert.Contains("invalid_session_config", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertNothingLeakedAsync(response);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task An_error_code_that_quotes_the_key_is_not_repeated()
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", 400, body: ErrorBody(FakeOpenAI.ApiKey));

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_rejected");
        await AssertNothingLeakedAsync(response);
    }

    [Fact]
    public async Task A_non_json_error_body_is_still_mapped()
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", 500, "text/html", $"<html>{MessageMarker} {FakeOpenAI.ApiKey}</html>");

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_unavailable");
        await AssertNothingLeakedAsync(response);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task A_success_whose_body_is_not_SDP_is_an_invalid_answer()
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", 201, body: ErrorBody("not_really_an_error"));

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_invalid_answer");
        await AssertNothingLeakedAsync(response);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task An_empty_success_is_an_invalid_answer()
    {
        using var app = new TestApp();
        app.Fake.Fail("/realtime/calls", 201, "application/sdp", "");

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_invalid_answer");
    }

    [Fact]
    public async Task A_refused_connection_is_unavailable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var app = new TestApp(new Dictionary<string, string?> { ["OpenAI:BaseUrl"] = $"http://127.0.0.1:{port}/v1" });

        using var response = await app.PostOfferAsync();

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_unavailable");
        await AssertNothingLeakedAsync(response);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task A_slow_answer_times_out_with_504()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["OpenAI:TimeoutSeconds"] = "1" });
        app.Fake.Fail("/realtime/calls", 201, "application/sdp", FakeOpenAI.StaticAnswer, delay: TimeSpan.FromSeconds(3));
        _ = app.Client; // start the app before the clock

        var clock = Stopwatch.StartNew();
        using var response = await app.PostOfferAsync();
        clock.Stop();

        await Problem.AssertAsync(response, HttpStatusCode.GatewayTimeout, "upstream_timeout");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.8));
        await AssertNothingLeakedAsync(response);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }
}
