using System.Net;
using RealtimeRazor.Tests.Browser;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>
/// What a client can and cannot make the app believe through the shipped nginx config (real nginx
/// running deploy/nginx/realtime-razor.conf, see <see cref="NginxProxy"/>).
/// </summary>
public sealed class NginxConfigTests
{
    [Fact]
    public async Task A_user_header_sent_by_the_client_does_not_pass_nginx_and_gets_401()
    {
        // nginx connects from loopback, and loopback is listed: only the config can stop a client's own header.
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "ProxyHeader", ["Access:ProxyHeader:TrustedProxies:0"] = "127.0.0.1" });
        using var nginx = await NginxProxy.StartAsync(app.Factory.StartKestrel());
        using var http = NginxProxy.Client(nginx.Url);

        using var call = new HttpRequestMessage(HttpMethod.Post, "api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        call.Headers.Add("X-Forwarded-User", "alice@example.com");
        using var callResponse = await http.SendAsync(call);
        using var page = new HttpRequestMessage(HttpMethod.Get, "");
        page.Headers.Add("X-Forwarded-User", "alice@example.com");
        using var pageResponse = await http.SendAsync(page);

        await Problem.AssertAsync(callResponse, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal(HttpStatusCode.Unauthorized, pageResponse.StatusCode);
        Assert.Empty(app.Fake.AllRequests);
    }
}
