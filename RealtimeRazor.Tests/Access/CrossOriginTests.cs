using System.Net;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Access;

/// <summary>A page on another site must not start sessions with this site's credit.</summary>
public sealed class CrossOriginTests : IDisposable
{
    private readonly TestApp app = new(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

    public void Dispose() => app.Dispose();

    private Task<HttpResponseMessage> PostFromAsync(string? origin, string path = "/api/realtime/calls")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = TestApp.Sdp(TestData.Offer) };
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        return app.Client.SendAsync(request);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("http://localhost.evil.example")]
    [InlineData("https://localhost")]
    [InlineData("null")]
    public async Task An_offer_from_another_origin_gets_403_and_never_reaches_OpenAI(string origin)
    {
        using var response = await PostFromAsync(origin);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "cross_origin");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task A_client_secret_request_from_another_origin_gets_403_and_never_reaches_OpenAI()
    {
        using var direct = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:Negotiation"] = "Direct" });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/client-secret");
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await direct.Client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "cross_origin");
        Assert.Empty(direct.Fake.Arrivals());
    }

    [Fact]
    public async Task An_offer_from_the_sites_own_origin_is_relayed()
    {
        // The in-memory server's own scheme://host.
        using var response = await PostFromAsync($"{app.Client.BaseAddress!.Scheme}://{app.Client.BaseAddress.Authority}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task An_offer_from_the_sites_own_origin_over_Kestrel_is_relayed()
    {
        var address = app.Factory.StartKestrel();
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        request.Headers.Add("Origin", $"{address.Scheme}://{address.Authority}");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task An_offer_without_an_Origin_header_is_relayed()
    {
        using var response = await PostFromAsync(origin: null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task A_request_a_browser_marks_cross_site_gets_403_even_without_Origin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        using var response = await app.Client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "cross_origin");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task The_pages_own_form_is_accepted_with_the_null_Origin_its_referrer_policy_makes_browsers_send()
    {
        using var page = await app.Client.GetAsync("/");
        var token = Passcodes.AntiforgeryToken(await page.Content.ReadAsStringAsync());
        HttpRequestMessage Post(string site)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/language")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["language"] = "ja", ["__RequestVerificationToken"] = token }),
            };
            request.Headers.Add("Origin", "null");
            request.Headers.Add("Sec-Fetch-Site", site);
            return request;
        }

        using var own = await app.Client.SendAsync(Post("same-origin"));
        using var framed = await app.Client.SendAsync(Post("cross-site"));

        Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
        await Problem.AssertAsync(framed, HttpStatusCode.Forbidden, "cross_origin");
    }
}
