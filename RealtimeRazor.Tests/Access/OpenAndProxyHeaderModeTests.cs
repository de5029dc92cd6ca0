using System.Net;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Access;

namespace RealtimeRazor.Tests.Access;

/// <summary>Open mode, ProxyHeader mode, and the refusal to guess a mode in Production.</summary>
public sealed class OpenAndProxyHeaderModeTests
{
    private const string UserHeader = "X-Forwarded-User";

    [Fact]
    public async Task Open_mode_lets_an_anonymous_relay_call_through()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var page = await app.Client.GetAsync("/");
        using var call = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task Open_mode_has_no_sign_in_page()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var response = await app.Client.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static TestApp ProxyHeader(Dictionary<string, string?>? extra = null)
    {
        // The test client plays the authenticating proxy, on loopback.
        var settings = new Dictionary<string, string?> { ["Access:Mode"] = "ProxyHeader", ["Access:ProxyHeader:TrustedProxies:0"] = "127.0.0.1" };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return new TestApp(settings);
    }

    private static async Task<HttpResponseMessage> PostOfferAsync(Uri address, string? user)
    {
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        if (user is not null)
            request.Headers.Add(UserHeader, user);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task ProxyHeader_mode_believes_the_header_from_a_listed_loopback_proxy()
    {
        using var app = ProxyHeader();
        var address = app.Factory.StartKestrel();

        using var call = await PostOfferAsync(address, "carol@example.org");

        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task ProxyHeader_mode_without_the_header_gets_401_and_never_reaches_OpenAI()
    {
        using var app = ProxyHeader();
        var address = app.Factory.StartKestrel();

        using var call = await PostOfferAsync(address, user: null);
        using var page = await new HttpClient { BaseAddress = address }.GetAsync("/");

        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task ProxyHeader_mode_ignores_the_header_from_an_untrusted_peer()
    {
        // Only 10.0.0.0/8 is trusted: the loopback test client is then just anyone setting a header.
        using var app = ProxyHeader(new() { ["Access:ProxyHeader:TrustedProxies:0"] = "10.0.0.0/8" });
        var address = app.Factory.StartKestrel();

        using var call = await PostOfferAsync(address, "mallory");

        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task ProxyHeader_mode_reads_the_configured_header_name()
    {
        using var app = ProxyHeader(new() { ["Access:ProxyHeader:HeaderName"] = "X-Auth-Request-User" });
        var address = app.Factory.StartKestrel();
        using var http = new HttpClient { BaseAddress = address };

        using var withDefaultName = await PostOfferAsync(address, "carol");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        request.Headers.Add("X-Auth-Request-User", "carol");
        using var withConfiguredName = await http.SendAsync(request);

        await Problem.AssertAsync(withDefaultName, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal(HttpStatusCode.Created, withConfiguredName.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls", count: 1);
    }

    [Fact]
    public void Production_without_an_access_mode_refuses_to_start_naming_Access_Mode()
    {
        using var fake = new FakeOpenAI();
        using var factory = new AppFactory(fake, environment: "Production");

        // Program turns a configuration error into one log line and exit code 1 (the real process is
        // checked in Hosting/StartupFailureTests), so here the host just never comes up.
        Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Empty(fake.Arrivals());

        // The reason it gives is the validator's, which names the key to set.
        var result = new AccessOptionsValidator(new HostEnvironment("Production"), Microsoft.Extensions.Options.Options.Create(new Microsoft.AspNetCore.HostFiltering.HostFilteringOptions())).Validate(null, new AccessOptions());
        Assert.True(result.Failed);
        Assert.Contains("Access:Mode", result.FailureMessage, StringComparison.Ordinal);
    }

    private sealed class HostEnvironment(string name) : Microsoft.Extensions.Hosting.IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "RealtimeRazor.Web";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }

    [Fact]
    public async Task Production_with_an_explicit_access_mode_starts()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["AllowedHosts"] = "localhost" }, environment: "Production");

        using var health = await app.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
