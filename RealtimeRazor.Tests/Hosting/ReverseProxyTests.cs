using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>Behind a proxy on a sub-path: every URL the page uses carries the prefix; forwarded headers count only from known proxies.</summary>
public sealed partial class ReverseProxyTests
{
    [GeneratedRegex(""""<script\b[^>]*\bsrc="([^"]+)"""")]
    private static partial Regex ScriptSrc();

    [GeneratedRegex(""""<base\b[^>]*\bhref="([^"]+)"""")]
    private static partial Regex BaseHref();

    [GeneratedRegex(""""\bdata-calls-url="([^"]+)"""")]
    private static partial Regex CallsUrl();

    [GeneratedRegex(""""\bdata-client-secret-url="([^"]+)"""")]
    private static partial Regex ClientSecretUrl();

    private static void AssertUrlsUnder(string prefix, string html)
    {
        Assert.Equal(prefix + "/", BaseHref().Match(html).Groups[1].Value);
        var scripts = ScriptSrc().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(scripts, s => s.StartsWith(prefix + "/js/main.", StringComparison.Ordinal));
        Assert.All(scripts, s => Assert.StartsWith(prefix + "/", s, StringComparison.Ordinal));
        Assert.Equal(prefix + "/api/realtime/calls", CallsUrl().Match(html).Groups[1].Value);
        Assert.Equal(prefix + "/api/realtime/client-secret", ClientSecretUrl().Match(html).Groups[1].Value);
    }

    [Fact]
    public async Task X_Forwarded_Prefix_from_a_loopback_proxy_prefixes_every_url_on_the_page()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });
        using var http = new HttpClient { BaseAddress = app.Factory.StartKestrel() };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-Prefix", "/voice");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertUrlsUnder("/voice", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_a_prefix_the_urls_are_at_the_root()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        var html = await app.Client.GetStringAsync("/");

        AssertUrlsUnder("", html);
    }

    [Fact]
    public async Task A_configured_PathBase_serves_the_page_under_it_with_prefixed_urls()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["ReverseProxy:PathBase"] = "/voice" });

        using var response = await app.Client.GetAsync("/voice/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        AssertUrlsUnder("/voice", html);
        // What the page links to is served there.
        var page = new Uri(app.Client.BaseAddress!, "/voice/");
        await PageAssets.AssertAllServedAsync(app.Client, page, html);
        using var call = await app.Client.PostAsync("/voice/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        Assert.StartsWith("/voice/api/realtime/calls/", call.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_Passcode_mode_the_sign_in_redirect_stays_under_the_PathBase()
    {
        using var app = new TestApp(Passcodes.Settings(new() { ["ReverseProxy:PathBase"] = "/voice" }));

        using var response = await app.Client.GetAsync("/voice/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        var target = location.IsAbsoluteUri ? location : new Uri(app.Client.BaseAddress!, location);
        Assert.Equal("/voice/signin", target.AbsolutePath);
        Assert.Equal("?ReturnUrl=%2Fvoice%2F", target.Query);
    }

    [Fact]
    public async Task In_Passcode_mode_the_sign_in_redirect_stays_under_a_forwarded_prefix()
    {
        using var app = new TestApp(Passcodes.Settings());
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.Factory.StartKestrel() };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-Prefix", "/voice");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        var target = location.IsAbsoluteUri ? location : new Uri(http.BaseAddress!, location);
        Assert.Equal("/voice/signin", target.AbsolutePath);
    }

    [Theory]
    [InlineData("//evil.example")]
    [InlineData("/voice/../evil")]
    [InlineData("/voice//evil.example")]
    [InlineData("/%2F%2Fevil.example")]
    public async Task A_forwarded_prefix_that_is_not_plain_path_segments_gets_400_and_goes_into_no_link(string prefix)
    {
        using var app = new TestApp(Passcodes.Settings());
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.Factory.StartKestrel() };

        foreach (var path in new[] { "/", "/signin" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("X-Forwarded-Prefix", prefix);
            using var response = await http.SendAsync(request);

            await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid_path_prefix");
            Assert.Null(response.Headers.Location);
            Assert.DoesNotContain("evil", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_sign_in_redirect_stays_on_the_site_whatever_Host_the_client_sends()
    {
        // Production with passcodes serves any host name (AllowedHosts defaults to '*' there).
        using var app = new TestApp(Passcodes.Settings(), environment: "Production");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.Factory.StartKestrel() };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "evil.example";

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?ReturnUrl=%2F", response.Headers.Location?.OriginalString);
    }

    /// <summary>Makes every in-memory request arrive from <paramref name="peer"/>, as if over a network.</summary>
    private sealed class FromPeer(System.Net.IPAddress peer) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = peer;
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private static async Task<(HttpStatusCode First, HttpStatusCode Second)> TwoOffersFromDifferentForwardedClientsAsync(Dictionary<string, string?> settings)
    {
        settings["Access:Mode"] = "Open";
        settings["Access:RateLimit:SessionsPerWindow"] = "1";
        settings["Access:MaxSessionsPerUser"] = "10";
        using var app = new TestApp(settings);
        using var factory = app.Factory.WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new FromPeer(System.Net.IPAddress.Parse("192.0.2.10")))));
        using var http = factory.CreateClient();

        async Task<HttpStatusCode> OfferAsync(string client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        return (await OfferAsync("203.0.113.1"), await OfferAsync("203.0.113.2"));
    }

    [Fact]
    public async Task X_Forwarded_For_from_an_unknown_peer_is_ignored()
    {
        // Both requests count as the peer's own: the second is over the limit of one.
        var (first, second) = await TwoOffersFromDifferentForwardedClientsAsync([]);

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal(HttpStatusCode.TooManyRequests, second);
    }

    [Fact]
    public async Task X_Forwarded_For_from_a_known_proxy_names_the_client()
    {
        var (first, second) = await TwoOffersFromDifferentForwardedClientsAsync(new() { ["ReverseProxy:KnownProxies:0"] = "192.0.2.10" });

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal(HttpStatusCode.Created, second);
    }
}
