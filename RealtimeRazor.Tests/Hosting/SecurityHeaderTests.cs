using System.Net;
using System.Text.RegularExpressions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>The page's CSP (with the import map's nonce), Permissions-Policy and the other protective headers.</summary>
public sealed partial class SecurityHeaderTests
{
    [GeneratedRegex(""""<script\b(?=[^>]*\btype="importmap")[^>]*\bnonce="([^"]+)"""", RegexOptions.IgnoreCase)]
    private static partial Regex ImportMapNonce();

    private static Dictionary<string, string> Directives(string csp) =>
        csp.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', 2))
            .ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");

    private static string Header(HttpResponseMessage response, string name) =>
        Assert.Single(response.Headers.GetValues(name));

    [Fact]
    public async Task The_page_has_a_CSP_whose_nonce_is_the_import_maps()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var response = await app.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = Header(response, "Content-Security-Policy");
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        var directives = Directives(csp);
        var scriptSources = directives["script-src"].Split(' ');
        Assert.Contains("'self'", scriptSources);
        var nonceSource = Assert.Single(scriptSources, s => s.StartsWith("'nonce-", StringComparison.Ordinal));
        var match = ImportMapNonce().Match(await response.Content.ReadAsStringAsync());
        Assert.True(match.Success, "the page has no import map with a nonce");
        var pageNonce = match.Groups[1].Value;
        Assert.Equal($"'nonce-{WebUtility.HtmlDecode(pageNonce)}'", nonceSource);
        // The page's one inline stylesheet is allowed by the same nonce; no other inline style is.
        Assert.Equal(["'self'", nonceSource], directives["style-src"].Split(' '));
        Assert.Equal("'none'", directives["frame-ancestors"]);
        Assert.Equal("'self'", directives["connect-src"]);
        Assert.Equal("'none'", directives["object-src"]);

        Assert.Contains("microphone=(self)", Header(response, "Permissions-Policy"), StringComparison.Ordinal);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.False(string.IsNullOrWhiteSpace(Header(response, "Referrer-Policy")));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("same-origin", Header(response, "Cross-Origin-Opener-Policy"));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS in Development");
    }

    [Fact]
    public async Task Each_response_gets_a_fresh_nonce()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var first = await app.Client.GetAsync("/");
        using var second = await app.Client.GetAsync("/");

        Assert.NotEqual(Directives(Header(first, "Content-Security-Policy"))["script-src"], Directives(Header(second, "Content-Security-Policy"))["script-src"]);
    }

    [Fact]
    public async Task In_Direct_mode_the_page_may_also_connect_to_OpenAI()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:Negotiation"] = "Direct" });

        using var response = await app.Client.GetAsync("/");

        var connect = Directives(Header(response, "Content-Security-Policy"))["connect-src"].Split(' ');
        Assert.Equal(["'self'", new Uri(app.Fake.BaseUrl).GetLeftPart(UriPartial.Authority)], connect);
    }

    [Fact]
    public async Task Problem_answers_carry_the_headers_too()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var response = await app.PostOfferAsync("not sdp");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scripts_get_nosniff_but_not_the_document_headers()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });
        var page = await app.Client.GetStringAsync("/");
        var script = EntryScript().Match(page);
        Assert.True(script.Success, "the page has no module script");

        using var response = await app.Client.GetAsync(script.Groups[1].Value.TrimStart('/'));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
        Assert.False(response.Headers.Contains("Permissions-Policy"));
        // The import map names fingerprinted files only, without integrity hashes (see ImportMaps).
        Assert.DoesNotContain("\"integrity\"", page, StringComparison.Ordinal);
    }

    [GeneratedRegex(""""<script type="module" src="([^"]+)"""")]
    private static partial Regex EntryScript();

    private static async Task<HttpResponseMessage> GetBehindProxyAsync(Uri address, string? forwardedProto)
    {
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "healthz");
        // HSTS is never sent for localhost; a proxy forwards the public host name.
        request.Headers.Host = "voice.example";
        if (forwardedProto is not null)
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task In_Production_https_forwarded_by_a_loopback_proxy_gets_HSTS()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["AllowedHosts"] = "voice.example" }, environment: "Production");
        var address = app.Factory.StartKestrel();

        using var https = await GetBehindProxyAsync(address, "https");
        using var http = await GetBehindProxyAsync(address, forwardedProto: null);

        Assert.Equal(HttpStatusCode.OK, https.StatusCode);
        Assert.Contains("max-age=", Header(https, "Strict-Transport-Security"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, http.StatusCode);
        Assert.False(http.Headers.Contains("Strict-Transport-Security"), "HSTS over plain http");
    }

    [Fact]
    public async Task In_Development_there_is_no_HSTS_even_over_forwarded_https()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["AllowedHosts"] = "voice.example" });
        var address = app.Factory.StartKestrel();

        using var https = await GetBehindProxyAsync(address, "https");

        Assert.Equal(HttpStatusCode.OK, https.StatusCode);
        Assert.False(https.Headers.Contains("Strict-Transport-Security"), "HSTS in Development");
    }
}
