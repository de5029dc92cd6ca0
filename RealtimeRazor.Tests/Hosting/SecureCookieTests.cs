using System.Net;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>
/// Behind a TLS-terminating proxy the app sees plain http; X-Forwarded-Proto says what the browser used.
/// Every cookie it sets over https must be Secure, or it would also travel over plain http.
/// </summary>
public sealed class SecureCookieTests
{
    /// <summary>Requests as a loopback proxy forwards them; cookies are carried by hand, since a cookie jar would hide what Set-Cookie said.</summary>
    private sealed class ForwardingProxy(Uri address, string? forwardedProto) : IDisposable
    {
        private readonly HttpClient http = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = address };
        private readonly Dictionary<string, string> jar = [];

        /// <summary>Every Set-Cookie seen, by cookie name.</summary>
        public Dictionary<string, string> SetCookies { get; } = [];

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Dictionary<string, string>? form = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (form is not null)
                request.Content = new FormUrlEncodedContent(form);
            if (forwardedProto is not null)
                request.Headers.Add("X-Forwarded-Proto", forwardedProto);
            if (jar.Count > 0)
                request.Headers.Add("Cookie", string.Join("; ", jar.Select(pair => $"{pair.Key}={pair.Value}")));
            var response = await http.SendAsync(request);
            foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                var pair = header.Split(';')[0].Split('=', 2);
                SetCookies[pair[0]] = header;
                jar[pair[0]] = pair[1];
            }
            return response;
        }

        public void Dispose() => http.Dispose();
    }

    private static bool IsSecure(string setCookie) => setCookie.Split(';').Any(attribute => attribute.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase));

    private static async Task<Dictionary<string, string>> CookiesOfSignInAndLanguageAsync(string? forwardedProto)
    {
        using var app = new TestApp(Passcodes.Settings());
        using var proxy = new ForwardingProxy(app.Factory.StartKestrel(), forwardedProto);

        using var form = await proxy.SendAsync(HttpMethod.Get, "signin");
        var token = Passcodes.AntiforgeryToken(await form.Content.ReadAsStringAsync());
        using var signIn = await proxy.SendAsync(HttpMethod.Post, "signin", new() { ["Passcode"] = Passcodes.AlicePasscode, ["__RequestVerificationToken"] = token });
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        using var page = await proxy.SendAsync(HttpMethod.Get, "");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var pageToken = Passcodes.AntiforgeryToken(await page.Content.ReadAsStringAsync());
        using var language = await proxy.SendAsync(HttpMethod.Post, "language", new() { ["language"] = "ja", ["__RequestVerificationToken"] = pageToken });
        Assert.Equal(HttpStatusCode.Redirect, language.StatusCode);

        Assert.Contains("rr_auth", proxy.SetCookies.Keys);
        Assert.Contains(".AspNetCore.Culture", proxy.SetCookies.Keys);
        Assert.Contains(proxy.SetCookies.Keys, name => name.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        return proxy.SetCookies;
    }

    [Fact]
    public async Task Over_forwarded_https_the_sign_in_antiforgery_and_language_cookies_are_Secure()
    {
        var cookies = await CookiesOfSignInAndLanguageAsync("https");

        Assert.All(cookies.Values, cookie => Assert.True(IsSecure(cookie), $"not Secure: {cookie}"));
    }

    [Fact]
    public async Task Over_plain_http_the_same_cookies_still_work_without_Secure()
    {
        // A Secure cookie would never come back over http (a developer's http://localhost).
        var cookies = await CookiesOfSignInAndLanguageAsync(forwardedProto: null);

        Assert.All(cookies.Values, cookie => Assert.False(IsSecure(cookie), $"Secure over http: {cookie}"));
    }
}
