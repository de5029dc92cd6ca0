using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Access;

/// <summary>Caps on simultaneous sessions (per user and site-wide) and on how long one session may last.</summary>
public sealed class SessionLimitTests
{
    private static TestApp OnePerUser(string negotiation = "Relay") => new(new Dictionary<string, string?>
    {
        ["Access:Mode"] = "Open",
        ["Access:MaxSessionsPerUser"] = "1",
        ["Realtime:Negotiation"] = negotiation,
    });

    [Fact]
    public async Task A_second_call_while_the_first_is_open_gets_429_too_many_sessions_without_calling_OpenAI()
    {
        using var app = OnePerUser();
        using var first = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var second = await app.PostOfferAsync();

        await Problem.AssertAsync(second, HttpStatusCode.TooManyRequests, "too_many_sessions");
        await app.UpstreamRequestsAsync("/realtime/calls", count: 1);
    }

    [Fact]
    public async Task Hanging_up_frees_the_slot_for_a_new_call()
    {
        using var app = OnePerUser();
        using var first = await app.PostOfferAsync();
        using var refused = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        using var hangUp = await app.Client.DeleteAsync(first.Headers.Location);
        using var next = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls", count: 2);
    }

    [Fact]
    public async Task A_client_secret_holds_a_slot_too()
    {
        using var app = OnePerUser("Direct");

        using var first = await app.Client.PostAsync("/api/realtime/client-secret", null);
        using var second = await app.Client.PostAsync("/api/realtime/client-secret", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await Problem.AssertAsync(second, HttpStatusCode.TooManyRequests, "too_many_sessions");
        await app.UpstreamRequestsAsync("/realtime/client_secrets", count: 1);
    }

    [Fact]
    public async Task The_site_wide_cap_refuses_a_second_user()
    {
        using var app = new TestApp(Passcodes.Settings(new() { ["Access:MaxSessions"] = "1" }));
        using var alice = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var bob = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);

        using var aliceCall = await alice.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        using var bobCall = await bob.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        Assert.Equal(HttpStatusCode.Created, aliceCall.StatusCode);
        await Problem.AssertAsync(bobCall, HttpStatusCode.TooManyRequests, "site_at_capacity");
        await app.UpstreamRequestsAsync("/realtime/calls", count: 1);
    }

    [Fact]
    public async Task One_user_cannot_hang_up_another_users_call()
    {
        using var app = new TestApp(Passcodes.Settings());
        using var alice = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var bob = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);
        using var aliceCall = await alice.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        using var bobHangUp = await bob.DeleteAsync(aliceCall.Headers.Location);

        await Problem.AssertAsync(bobHangUp, HttpStatusCode.NotFound, "call_not_found");
        Assert.Empty(app.Fake.Arrivals($"/realtime/calls/{FakeOpenAI.CallId}/hangup"));
    }

    [Fact]
    public async Task A_failed_upstream_call_does_not_keep_its_slot()
    {
        using var app = OnePerUser();
        app.Fake.Fail("/realtime/calls", 500);
        using var failed = await app.PostOfferAsync();
        Assert.True((int)failed.StatusCode >= 500, $"the scripted failure gave {(int)failed.StatusCode}");
        await app.UpstreamRequestsAsync("/realtime/calls", count: 1);
        // Back to the documented behaviour: remove the scripted failure.
        foreach (var mapping in app.Fake.Server.MappingModels.Where(m => m.Priority == 1).ToList())
            app.Fake.Server.DeleteMapping(mapping.Guid!.Value);

        using var next = await app.PostOfferAsync();

        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        await app.UpstreamRequestsAsync("/realtime/calls", count: 2);
    }

    [Fact]
    public async Task The_server_hangs_up_a_call_that_reaches_the_maximum_session_length()
    {
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Open",
            ["Access:MaxSessionsPerUser"] = "1",
            ["Realtime:MaxSessionMinutes"] = "0.05",
        });
        var hangUpPath = $"/realtime/calls/{FakeOpenAI.CallId}/hangup";
        var clock = Stopwatch.StartNew();
        using var call = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);

        await Await.UntilAsync(() => app.Fake.Requests(hangUpPath).Count > 0, "the server's own hang-up", TimeSpan.FromSeconds(8));

        var elapsed = clock.Elapsed;
        Assert.True(elapsed >= TimeSpan.FromSeconds(2.5), $"hung up after only {elapsed.TotalSeconds:0.0} s of a 3 s maximum");
        var hangUp = Assert.Single(app.Fake.Requests(hangUpPath)).RequestMessage!;
        Assert.Equal("POST", hangUp.Method);
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", hangUp.Headers!["Authorization"].Single());

        // The ended call no longer holds the user's only slot.
        using var next = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
    }

    [Fact]
    public async Task The_page_tells_the_browser_the_maximum_session_length()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:MaxSessionMinutes"] = "0.05" });

        var html = await app.Client.GetStringAsync("/");

        Assert.Contains("data-max-session-seconds=\"3\"", html, StringComparison.Ordinal);
    }
}
