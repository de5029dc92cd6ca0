using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Access;

/// <summary>New sessions per user per window, and sign-in attempts per client address per window.</summary>
public sealed class RateLimitTests
{
    private static Dictionary<string, string?> Limits(Dictionary<string, string?> settings)
    {
        settings["Access:RateLimit:SessionsPerWindow"] = "2";
        settings["Access:RateLimit:WindowSeconds"] = "30";
        // High enough that only the rate limit can refuse.
        settings["Access:MaxSessionsPerUser"] = "10";
        return settings;
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        var body = await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
        Assert.True(int.TryParse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds), $"Retry-After is not whole seconds: {retryAfter}");
        Assert.InRange(seconds, 1, 30);
        Assert.Contains("Try again in", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_third_offer_in_a_window_gets_429_with_Retry_After_and_never_reaches_OpenAI()
    {
        using var app = new TestApp(Limits(new() { ["Access:Mode"] = "Open" }));

        using var first = await app.PostOfferAsync();
        using var second = await app.PostOfferAsync();
        using var third = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await AssertRateLimitedAsync(third);
        await app.UpstreamRequestsAsync("/realtime/calls", count: 2);
    }

    [Fact]
    public async Task Client_secrets_count_against_the_same_limit()
    {
        using var app = new TestApp(Limits(new() { ["Access:Mode"] = "Open", ["Realtime:Negotiation"] = "Direct" }));

        using var first = await app.Client.PostAsync("/api/realtime/client-secret", null);
        using var second = await app.Client.PostAsync("/api/realtime/client-secret", null);
        using var third = await app.Client.PostAsync("/api/realtime/client-secret", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await AssertRateLimitedAsync(third);
        await app.UpstreamRequestsAsync("/realtime/client_secrets", count: 2);
    }

    [Fact]
    public async Task One_users_count_does_not_limit_another_user()
    {
        using var app = new TestApp(Passcodes.Settings(Limits([])));
        using var alice = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var bob = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);

        for (var i = 0; i < 2; i++)
        {
            using var allowed = await alice.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
            Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        }
        using var aliceThird = await alice.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        using var bobFirst = await bob.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        await AssertRateLimitedAsync(aliceThird);
        Assert.Equal(HttpStatusCode.Created, bobFirst.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls", count: 3);
    }

    [Fact]
    public async Task Sign_in_attempts_are_limited_per_client_and_showing_the_form_is_not_an_attempt()
    {
        using var app = new TestApp(Passcodes.Settings(new()
        {
            ["Access:RateLimit:SignInAttemptsPerWindow"] = "2",
            ["Access:RateLimit:WindowSeconds"] = "30",
        }));
        using var form = await app.Client.GetAsync("/signin");
        using var formAgain = await app.Client.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, formAgain.StatusCode);
        var token = Passcodes.AntiforgeryToken(await form.Content.ReadAsStringAsync());
        Task<HttpResponseMessage> AttemptAsync(string passcode) => app.Client.PostAsync("/signin",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["Passcode"] = passcode, ["__RequestVerificationToken"] = token }));

        using var first = await AttemptAsync("guess one");
        using var second = await AttemptAsync("guess two");
        using var third = await AttemptAsync(Passcodes.AlicePasscode);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Null(Passcodes.AuthCookie(third));
        var retryAfter = int.Parse(Assert.Single(third.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 30);
        Assert.Contains("sign-in", await third.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Cross_site_offers_are_refused_before_they_count_against_the_visitor()
    {
        using var app = new TestApp(Limits(new() { ["Access:Mode"] = "Open" }));

        // A page elsewhere, visited by the user, posts from their browser (so from their address).
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
            request.Headers.Add("Origin", "https://evil.example");
            using var refused = await app.Client.SendAsync(request);
            await Problem.AssertAsync(refused, HttpStatusCode.Forbidden, "cross_origin");
        }
        using var first = await app.PostOfferAsync();
        using var second = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls", count: 2);
    }

    [Fact]
    public async Task Cross_site_sign_in_posts_are_refused_before_they_count_against_the_visitor()
    {
        using var app = new TestApp(Passcodes.Settings(new()
        {
            ["Access:RateLimit:SignInAttemptsPerWindow"] = "2",
            ["Access:RateLimit:WindowSeconds"] = "30",
        }));

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/signin")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Passcode"] = "guess " + i }),
            };
            request.Headers.Add("Origin", "https://evil.example");
            using var refused = await app.Client.SendAsync(request);
            await Problem.AssertAsync(refused, HttpStatusCode.Forbidden, "cross_origin");
        }

        await Passcodes.SignInOrFailAsync(app.Client, Passcodes.AlicePasscode);
    }
}
