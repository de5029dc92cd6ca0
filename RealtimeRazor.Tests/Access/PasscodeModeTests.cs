using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Access;

/// <summary>Passcode mode: nothing costs credit until a passcode has been exchanged for the sign-in cookie.</summary>
public sealed class PasscodeModeTests : IDisposable
{
    private readonly TestApp app = new(Passcodes.Settings());

    public void Dispose() => app.Dispose();

    private HttpClient NewBrowser() => app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Theory]
    [InlineData("/api/realtime/calls")]
    [InlineData("/api/realtime/client-secret")]
    public async Task Anonymous_API_calls_get_401_and_never_reach_OpenAI(string path)
    {
        using var response = await app.Client.PostAsync(path, TestApp.Sdp(TestData.Offer));

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task An_anonymous_hang_up_gets_401()
    {
        using var response = await app.Client.DeleteAsync($"/api/realtime/calls/{FakeOpenAI.CallId}");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task The_page_redirects_anonymous_visitors_to_sign_in_with_a_return_url()
    {
        using var response = await app.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        var target = location.IsAbsoluteUri ? location : new Uri(new Uri("http://localhost"), location);
        Assert.Equal("/signin", target.AbsolutePath);
        Assert.Equal("?ReturnUrl=%2F", target.Query);
    }

    [Fact]
    public async Task The_sign_in_page_shows_a_passcode_form_with_an_antiforgery_token()
    {
        using var response = await app.Client.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<form method=\"post\"", html, StringComparison.Ordinal);
        Assert.Contains("type=\"password\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"Passcode\"", html, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(Passcodes.AntiforgeryToken(html)));
    }

    [Fact]
    public async Task A_wrong_passcode_shows_an_error_and_sets_no_cookie()
    {
        using var response = await Passcodes.SignInAsync(app.Client, "not the passcode");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("That passcode is not right.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(Passcodes.AuthCookie(response));
        using var call = await app.PostOfferAsync();
        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task A_sign_in_without_the_antiforgery_token_gets_400()
    {
        using var form = await app.Client.GetAsync("/signin");
        using var response = await app.Client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["Passcode"] = Passcodes.AlicePasscode }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(Passcodes.AuthCookie(response));
    }

    [Fact]
    public async Task The_right_passcode_redirects_with_an_HttpOnly_SameSite_Strict_cookie_that_opens_the_API()
    {
        using var response = await Passcodes.SignInAsync(app.Client, Passcodes.AlicePasscode, returnUrl: "/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        var cookie = Passcodes.AuthCookie(response);
        Assert.NotNull(cookie);
        var attributes = cookie.Split(';').Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);

        using var page = await app.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var call = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task A_return_url_to_another_site_is_not_followed()
    {
        using var response = await Passcodes.SignInAsync(app.Client, Passcodes.AlicePasscode, returnUrl: "https://evil.example/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData(Passcodes.AlicePasscode, Passcodes.Alice)]
    [InlineData(Passcodes.BobPasscode, Passcodes.Bob)]
    public async Task Each_named_passcode_signs_in_as_its_name(string passcode, string name)
    {
        await Passcodes.SignInOrFailAsync(app.Client, passcode);

        using var page = await app.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"Signed in as {name}<", html, StringComparison.Ordinal);
        var other = name == Passcodes.Alice ? Passcodes.Bob : Passcodes.Alice;
        Assert.DoesNotContain($"Signed in as {other}<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_clears_the_cookie_and_closes_the_API_again()
    {
        await Passcodes.SignInOrFailAsync(app.Client, Passcodes.AlicePasscode);
        using var page = await app.Client.GetAsync("/");
        var token = Passcodes.AntiforgeryToken(await page.Content.ReadAsStringAsync());

        using var signOut = await app.Client.PostAsync("/signin?handler=SignOut",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/signin", signOut.Headers.Location?.OriginalString);
        Assert.Contains(signOut.Headers.GetValues("Set-Cookie"), c => c.StartsWith("rr_auth=;", StringComparison.Ordinal));
        using var call = await app.PostOfferAsync();
        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
        using var again = await app.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task A_cookie_belongs_to_one_browser_only()
    {
        await Passcodes.SignInOrFailAsync(app.Client, Passcodes.AlicePasscode);
        using var other = NewBrowser();

        using var call = await other.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task A_forged_cookie_is_not_accepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        request.Headers.Add("Cookie", "rr_auth=CfDJ8forgedvalue");
        using var browser = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        using var call = await browser.SendAsync(request);

        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Empty(app.Fake.Arrivals());
    }
}
