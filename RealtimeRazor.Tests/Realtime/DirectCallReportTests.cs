using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>
/// Direct mode: the page reports the call OpenAI answered it with, naming the slot its secret was minted
/// for, so the concurrency caps, the maximum session length and Disconnect hold as they do in Relay.
/// </summary>
public sealed class DirectCallReportTests
{
    private const string HangUpPath = $"/realtime/calls/{FakeOpenAI.CallId}/hangup";

    private static TestApp Direct(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Open",
            ["Access:MaxSessionsPerUser"] = "2",
            ["Realtime:Negotiation"] = "Direct",
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return new TestApp(settings);
    }

    /// <summary>Mints a secret as the page does; returns the slot its answer names.</summary>
    private static async Task<string> MintAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/api/realtime/client-secret", null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"minting answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var slot = json.RootElement.GetProperty("slot").GetString();
        Assert.False(string.IsNullOrEmpty(slot), "the secret's answer names no slot");
        return slot!;
    }

    /// <summary>What the page does right after OpenAI's answer: PUT the call's id, naming the slot.</summary>
    private static Task<HttpResponseMessage> ReportAsync(HttpClient client, string slot, string callId = FakeOpenAI.CallId) =>
        client.PutAsync($"/api/realtime/calls/{callId}?slot={Uri.EscapeDataString(slot)}", null);

    /// <summary>The same app on a clock the test moves: the reaper still looks every second, at that clock.</summary>
    private static WebApplicationFactory<Program> OnClock(TestApp app, TimeProvider clock) =>
        app.Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton(clock)));

    [Fact]
    public async Task A_reported_call_is_bound_to_its_slot_and_Disconnect_hangs_it_up_with_the_server_key()
    {
        using var app = Direct();
        var slot = await MintAsync(app.Client);

        using var report = await ReportAsync(app.Client, slot);

        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        Assert.Equal("no-store", report.Headers.CacheControl?.ToString());
        Assert.Equal($"/api/realtime/calls/{FakeOpenAI.CallId}", report.Headers.Location?.OriginalString);
        Assert.Empty(app.Fake.Arrivals(HangUpPath));

        using var hangUp = await app.Client.DeleteAsync(report.Headers.Location);

        Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);
        var request = Assert.Single(await app.UpstreamRequestsAsync(HangUpPath)).RequestMessage!;
        Assert.Equal("POST", request.Method);
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task Five_mint_report_hang_up_cycles_in_a_row_all_succeed_with_two_slots_per_user()
    {
        using var app = Direct();

        for (var cycle = 1; cycle <= 5; cycle++)
        {
            var slot = await MintAsync(app.Client);
            using var report = await ReportAsync(app.Client, slot);
            Assert.True(report.StatusCode == HttpStatusCode.Created, $"cycle {cycle}: report answered {(int)report.StatusCode}");
            using var hangUp = await app.Client.DeleteAsync(report.Headers.Location);
            Assert.True(hangUp.StatusCode == HttpStatusCode.NoContent, $"cycle {cycle}: hang-up answered {(int)hangUp.StatusCode}");
        }

        await app.UpstreamRequestsAsync("/realtime/client_secrets", count: 5);
        await app.UpstreamRequestsAsync(HangUpPath, count: 5);
    }

    [Fact]
    public async Task Another_users_slot_is_refused_and_stays_its_owners()
    {
        using var app = new TestApp(Passcodes.Settings(new() { ["Realtime:Negotiation"] = "Direct" }));
        using var alice = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var bob = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);
        var aliceSlot = await MintAsync(alice);

        using var bobReport = await ReportAsync(bob, aliceSlot);

        await Problem.AssertAsync(bobReport, HttpStatusCode.NotFound, "slot_not_found");
        using var bobHangUp = await bob.DeleteAsync($"/api/realtime/calls/{FakeOpenAI.CallId}");
        await Problem.AssertAsync(bobHangUp, HttpStatusCode.NotFound, "call_not_found");
        using var aliceReport = await ReportAsync(alice, aliceSlot);
        Assert.Equal(HttpStatusCode.Created, aliceReport.StatusCode);
        Assert.Empty(app.Fake.Arrivals(HangUpPath));
    }

    /// <summary>The same ids the hang-up endpoint refuses: both take a call id from the path.</summary>
    [Theory]
    [MemberData(nameof(HangUpTests.InvalidIds), MemberType = typeof(HangUpTests))]
    public async Task An_invalid_call_id_is_refused_and_the_slot_can_still_be_reported(string id)
    {
        using var app = Direct();
        var slot = await MintAsync(app.Client);

        using var refused = await ReportAsync(app.Client, slot, id);

        await Problem.AssertAsync(refused, HttpStatusCode.BadRequest, "invalid_call_id");
        using var report = await ReportAsync(app.Client, slot);
        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    public async Task A_slot_this_server_did_not_hand_out_is_refused(string slot)
    {
        using var app = Direct();
        await MintAsync(app.Client);

        using var response = await ReportAsync(app.Client, slot);

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "slot_not_found");
    }

    [Fact]
    public async Task A_slot_holds_one_call_and_a_call_one_slot()
    {
        using var app = Direct();
        var first = await MintAsync(app.Client);
        var second = await MintAsync(app.Client);
        using var bound = await ReportAsync(app.Client, first);
        Assert.Equal(HttpStatusCode.Created, bound.StatusCode);

        using var again = await ReportAsync(app.Client, first);
        using var otherCall = await ReportAsync(app.Client, first, "rtc_another0123");
        using var sameCallElsewhere = await ReportAsync(app.Client, second);

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        await Problem.AssertAsync(otherCall, HttpStatusCode.Conflict, "call_already_reported");
        await Problem.AssertAsync(sameCallElsewhere, HttpStatusCode.Conflict, "call_already_reported");
    }

    [Fact]
    public async Task The_report_endpoint_is_closed_in_Relay_mode()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var response = await ReportAsync(app.Client, "AAAAAAAAAAAAAAAAAAAAAA");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "negotiation_mode_disabled");
    }

    [Fact]
    public async Task A_report_from_another_origin_gets_403()
    {
        using var app = Direct();
        var slot = await MintAsync(app.Client);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/realtime/calls/{FakeOpenAI.CallId}?slot={Uri.EscapeDataString(slot)}");
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await app.Client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "cross_origin");
    }

    [Fact]
    public async Task The_server_hangs_up_a_reported_call_at_the_maximum_session_length_and_frees_its_slot()
    {
        using var app = Direct(new()
        {
            ["Access:MaxSessionsPerUser"] = "1",
            ["Realtime:MaxSessionMinutes"] = "10",
            ["Realtime:ClientSecretSeconds"] = "60",
        });
        var clock = new ManualClock();
        using var factory = OnClock(app, clock);
        using var client = factory.CreateClient();
        var slot = await MintAsync(client);
        using var report = await ReportAsync(client, slot);
        Assert.Equal(HttpStatusCode.Created, report.StatusCode);

        // Past the secret's lifetime the call still holds the slot: it is the call that counts now.
        clock.Advance(TimeSpan.FromMinutes(9.9));
        using var refused = await client.PostAsync("/api/realtime/client-secret", null);
        await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "too_many_sessions");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Empty(app.Fake.Arrivals(HangUpPath));

        clock.Advance(TimeSpan.FromMinutes(0.1));

        var hangUp = Assert.Single(await app.UpstreamRequestsAsync(HangUpPath)).RequestMessage!;
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", hangUp.Headers!["Authorization"].Single());
        await MintAsync(client);
    }

    [Fact]
    public async Task An_unreported_slot_lapses_with_its_secret_and_can_no_longer_be_reported()
    {
        using var app = Direct(new()
        {
            ["Access:MaxSessionsPerUser"] = "1",
            ["Realtime:ClientSecretSeconds"] = "60",
        });
        var clock = new ManualClock();
        using var factory = OnClock(app, clock);
        using var client = factory.CreateClient();
        var slot = await MintAsync(client);
        clock.Advance(TimeSpan.FromSeconds(59));
        using var held = await client.PostAsync("/api/realtime/client-secret", null);
        await Problem.AssertAsync(held, HttpStatusCode.TooManyRequests, "too_many_sessions");

        clock.Advance(TimeSpan.FromSeconds(1));

        using var late = await ReportAsync(client, slot);
        await Problem.AssertAsync(late, HttpStatusCode.NotFound, "slot_not_found");
        await MintAsync(client);
        // The server never knew a call for it, so there was nothing to hang up.
        Assert.Empty(app.Fake.Arrivals(HangUpPath));
    }
}
