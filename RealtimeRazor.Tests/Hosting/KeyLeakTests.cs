using System.Net;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>
/// The server's API key never leaves it: every response in a tour of the site (page, scripts, styles,
/// answers, problems, redirects, health) is scanned, headers and body.
/// </summary>
public sealed class KeyLeakTests
{
    /// <summary>Scans each response as it arrives and keeps a line per request, to show what was covered.</summary>
    private sealed class LeakScanner : DelegatingHandler
    {
        public List<string> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var headers = string.Join("\n", response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(", ", h.Value)}"));
            var what = $"{request.Method} {request.RequestUri} → {(int)response.StatusCode}";
            Assert.False(body.Contains(FakeOpenAI.ApiKey, StringComparison.Ordinal), $"the API key is in the body of {what}");
            Assert.False(headers.Contains(FakeOpenAI.ApiKey, StringComparison.Ordinal), $"the API key is in a header of {what}");
            // Nor a recognisable part of it.
            Assert.False(body.Contains(FakeOpenAI.ApiKey[8..24], StringComparison.Ordinal), $"part of the API key is in the body of {what}");
            Seen.Add(what);
            return response;
        }
    }

    /// <summary>Replaces any earlier scripted failure, so that each scripted answer is the one given.</summary>
    private static void FailOnly(TestApp app, string path, int status, string contentType = "application/json", string? body = null)
    {
        foreach (var mapping in app.Fake.Server.MappingModels.Where(m => m.Priority == 1).ToList())
            app.Fake.Server.DeleteMapping(mapping.Guid!.Value);
        app.Fake.Fail(path, status, contentType, body);
    }

    private static HttpClient Browser(TestApp app, LeakScanner scanner) =>
        app.Factory.CreateDefaultClient(new CookieContainerHandler(), scanner);

    private static async Task SendAsync(HttpClient http, HttpMethod method, string path, HttpContent? content = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        using var response = await http.SendAsync(request);
    }

    private static async Task TourAsync(HttpClient http)
    {
        var page = await http.GetStringAsync("/");
        await PageAssets.AssertAllServedAsync(http, new Uri(http.BaseAddress!, "/"), page);
        await SendAsync(http, HttpMethod.Get, "/healthz");
        await SendAsync(http, HttpMethod.Get, "/readyz");
        await SendAsync(http, HttpMethod.Get, "/no-such-page");
        await SendAsync(http, HttpMethod.Post, "/api/realtime/calls", TestApp.Sdp("not sdp"));
        await SendAsync(http, HttpMethod.Post, "/api/realtime/calls", TestApp.Sdp(TestData.Offer, "text/plain"));
        await SendAsync(http, HttpMethod.Post, "/api/realtime/calls", TestApp.Sdp(TestData.Offer), origin: "https://evil.example");
        await SendAsync(http, HttpMethod.Delete, "/api/realtime/calls/rtc_not_ours");
        await SendAsync(http, HttpMethod.Delete, "/api/realtime/calls/..%2Fsecrets");
    }

    [Fact]
    public async Task Relay_mode_never_shows_the_key()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Access:MaxSessionsPerUser"] = "10" });
        var scanner = new LeakScanner();
        using var http = Browser(app, scanner);

        await TourAsync(http);
        using (var call = await http.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer)))
        {
            Assert.Equal(HttpStatusCode.Created, call.StatusCode);
            await SendAsync(http, HttpMethod.Delete, call.Headers.Location!.OriginalString);
        }
        await SendAsync(http, HttpMethod.Post, "/api/realtime/client-secret");
        // OpenAI's own error messages can quote the key they refused.
        FailOnly(app, "/realtime/calls", 401, body: $$$"""{"error":{"message":"Incorrect API key provided: {{{FakeOpenAI.ApiKey}}}.","type":"invalid_request_error","code":"invalid_api_key"}}""");
        await SendAsync(http, HttpMethod.Post, "/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        FailOnly(app, "/realtime/calls", 400, body: $$$"""{"error":{"message":"Bad request from key {{{FakeOpenAI.ApiKey}}}","type":"invalid_request_error","code":"invalid_value"}}""");
        await SendAsync(http, HttpMethod.Post, "/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        FailOnly(app, "/realtime/calls", 500, contentType: "text/plain", body: $"Authorization: Bearer {FakeOpenAI.ApiKey}");
        await SendAsync(http, HttpMethod.Post, "/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        Assert.True(scanner.Seen.Count >= 15, string.Join("\n", scanner.Seen));
        Assert.Contains(scanner.Seen, line => line.EndsWith("→ 502", StringComparison.Ordinal));
        Assert.NotEmpty(app.Fake.Requests("/realtime/calls"));
    }

    [Fact]
    public async Task Direct_mode_hands_out_the_ephemeral_key_only()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:Negotiation"] = "Direct", ["Access:MaxSessionsPerUser"] = "10" });
        var scanner = new LeakScanner();
        using var http = Browser(app, scanner);

        await TourAsync(http);
        using (var secret = await http.PostAsync("/api/realtime/client-secret", null))
        {
            Assert.Equal(HttpStatusCode.OK, secret.StatusCode);
            Assert.Contains(FakeOpenAI.EphemeralKey, await secret.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        FailOnly(app, "/realtime/client_secrets", 401, body: $$$"""{"error":{"message":"Incorrect API key provided: {{{FakeOpenAI.ApiKey}}}.","code":"invalid_api_key"}}""");
        await SendAsync(http, HttpMethod.Post, "/api/realtime/client-secret");

        Assert.NotEmpty(app.Fake.Requests("/realtime/client_secrets"));
    }

    [Fact]
    public async Task Passcode_mode_never_shows_the_key_before_or_after_signing_in()
    {
        using var app = new TestApp(Passcodes.Settings());
        var scanner = new LeakScanner();
        using var http = Browser(app, scanner);

        await SendAsync(http, HttpMethod.Get, "/");
        await SendAsync(http, HttpMethod.Post, "/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        await SendAsync(http, HttpMethod.Post, "/api/realtime/client-secret");
        using (var wrong = await Passcodes.SignInAsync(http, "wrong"))
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        using (var right = await Passcodes.SignInAsync(http, Passcodes.AlicePasscode))
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        await TourAsync(http);
        using var call = await http.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
    }
}
