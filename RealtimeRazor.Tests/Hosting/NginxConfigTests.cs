using System.Net;
using RealtimeRazor.Tests.Access;
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
        using var http = nginx.CreateClient();

        using var call = new HttpRequestMessage(HttpMethod.Post, "api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        call.Headers.Add("X-Forwarded-User", "alice@example.com");
        using var callResponse = await http.SendAsync(call);
        using var page = new HttpRequestMessage(HttpMethod.Get, "");
        page.Headers.Add("X-Forwarded-User", "alice@example.com");
        using var pageResponse = await http.SendAsync(page);

        await Problem.AssertAsync(callResponse, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal(HttpStatusCode.Unauthorized, pageResponse.StatusCode);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task Plain_http_is_redirected_to_https()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });
        using var nginx = await NginxProxy.StartAsync(app.Factory.StartKestrel());
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        using var response = await http.GetAsync(nginx.HttpUrl);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal("https", location.Scheme);
        Assert.Equal("/voice/", location.AbsolutePath);
    }

    [Fact]
    public async Task Over_https_the_sign_in_form_and_the_sign_in_set_Secure_cookies()
    {
        using var app = new TestApp(Passcodes.Settings());
        using var nginx = await NginxProxy.StartAsync(app.Factory.StartKestrel());
        using var http = nginx.CreateClient();

        using var form = await http.GetAsync("signin");
        var antiforgery = Assert.Single(form.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        using var signIn = new HttpRequestMessage(HttpMethod.Post, "signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Passcode"] = Passcodes.AlicePasscode,
                ["__RequestVerificationToken"] = Passcodes.AntiforgeryToken(await form.Content.ReadAsStringAsync()),
            }),
        };
        signIn.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        signIn.Headers.Add("Origin", $"https://{nginx.Url.Authority}");
        using var signedIn = await http.SendAsync(signIn);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Contains("secure", antiforgery.ToLowerInvariant().Split(';').Select(a => a.Trim()));
        Assert.Contains("secure", Passcodes.AuthCookie(signedIn)!.ToLowerInvariant().Split(';').Select(a => a.Trim()));
    }
}
