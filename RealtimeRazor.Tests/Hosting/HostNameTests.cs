using System.Net;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>
/// DNS rebinding: a page on attacker.example whose name now points at this server is same-origin with
/// itself, so only its Host header gives it away. Other hosts get 400 before anything else runs.
/// </summary>
public sealed class HostNameTests
{
    private static async Task<HttpResponseMessage> SendAsync(Uri address, HttpMethod method, string path, string host, bool rebound = true)
    {
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Host = host;
        if (method == HttpMethod.Post)
        {
            request.Content = TestApp.Sdp(TestData.Offer);
            // What a browser sends from the rebound page: its own origin, which matches the Host it sends.
            if (rebound)
                request.Headers.Add("Origin", $"http://{host}");
        }
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task In_Development_a_rebound_host_name_gets_400_and_never_reaches_OpenAI()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });
        var address = app.Factory.StartKestrel();

        using var call = await SendAsync(address, HttpMethod.Post, "api/realtime/calls", $"attacker.example:{address.Port}");
        using var page = await SendAsync(address, HttpMethod.Get, "", $"attacker.example:{address.Port}");

        Assert.Equal(HttpStatusCode.BadRequest, call.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    public async Task In_Development_the_loopback_names_are_served(string name)
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });
        var address = app.Factory.StartKestrel();

        using var call = await SendAsync(address, HttpMethod.Post, "api/realtime/calls", $"{name}:{address.Port}");

        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task An_open_site_in_Production_answers_only_its_listed_hosts()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["AllowedHosts"] = "voice.example.com" }, environment: "Production");
        var address = app.Factory.StartKestrel();

        using var rebound = await SendAsync(address, HttpMethod.Post, "api/realtime/calls", "attacker.example");
        using var loopback = await SendAsync(address, HttpMethod.Post, "api/realtime/calls", "127.0.0.1", rebound: false);
        Assert.Empty(app.Fake.Arrivals());
        using var listed = await SendAsync(address, HttpMethod.Post, "api/realtime/calls", "voice.example.com");

        Assert.Equal(HttpStatusCode.BadRequest, rebound.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, loopback.StatusCode);
        Assert.Equal(HttpStatusCode.Created, listed.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }
}
