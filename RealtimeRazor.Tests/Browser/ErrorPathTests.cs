using Microsoft.Playwright;
using RealtimeRazor.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Browser;

/// <summary>Every way a session can fail ends in a readable alert and a clean teardown.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ErrorPathTests(BrowserFixture browser)
{
    private static Dictionary<string, string?> Mode(string mode) => new() { ["Realtime:Negotiation"] = mode };

    public static TheoryData<string, string, int, string, string> UpstreamFailures => new()
    {
        // mode, failing path, status, Retry-After, what the user reads
        { "Relay", "/realtime/calls", 401, "", "API key was rejected" },
        { "Relay", "/realtime/calls", 429, "7", "Try again in 7 s" },
        { "Relay", "/realtime/calls", 503, "", "OpenAI could not be reached or had an error" },
        { "Direct", "/realtime/client_secrets", 401, "", "API key was rejected" },
        { "Direct", "/realtime/client_secrets", 429, "12", "Try again in 12 s" },
        { "Direct", "/realtime/calls", 500, "", "OpenAI is unavailable" },
        { "Direct", "/realtime/calls", 401, "", "OpenAI refused the session secret" },
    };

    [Fact]
    public async Task A_page_whose_scripts_cannot_load_says_so_instead_of_offering_a_dead_Connect()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, openPage: false);
        // As a broken deployment or a meddling proxy serves it: Chromium refuses a module that is not JavaScript,
        // and with it every module that imports it, the page's entry included.
        await voice.Page.RouteAsync("**/js/call.*.js", route => route.FulfillAsync(new() { Status = 200, ContentType = "text/plain", Body = "" }));
        await voice.Page.GotoAsync(voice.AppUrl.ToString());

        await Expect(voice.Alert).ToHaveTextAsync("This page could not load its scripts. Reload the page; if it keeps happening, tell the site's operator.");
        await Expect(voice.ConnectButton).ToBeDisabledAsync();
        await Expect(voice.Status).ToHaveTextAsync("Connection failed");
    }

    [Theory]
    [MemberData(nameof(UpstreamFailures))]
    public async Task An_upstream_failure_is_explained_and_the_page_resets(string mode, string path, int status, string retryAfter, string message)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, Mode(mode));
        voice.OpenAI.Fail(path, status, headers: retryAfter == "" ? null : new Dictionary<string, string> { ["Retry-After"] = retryAfter });

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync(message);
        await voice.ExpectTornDownAsync();
        Assert.Equal(0, await voice.Peer.EvaluateAsync<int>("() => window.fakeOpenAI.callCount()"));
    }

    [Fact]
    public async Task An_answer_that_is_not_SDP_is_reported_instead_of_applied()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        voice.OpenAI.Fail("/realtime/calls", 201, body: """{"id":"rtc_123","object":"realtime.call"}""");

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync("not a valid session description");
        await voice.ExpectTornDownAsync();
    }

    [Fact]
    public async Task A_slow_upstream_times_out_with_a_message()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["OpenAI:TimeoutSeconds"] = "1" });
        voice.OpenAI.Fail("/realtime/calls", 201, contentType: "application/sdp", body: FakeOpenAI.StaticAnswer, delay: TimeSpan.FromSeconds(4));

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync("took too long");
        await voice.ExpectTornDownAsync();
    }

    [Fact]
    public async Task A_Direct_call_the_server_will_not_count_is_ended_and_explained()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Realtime:Negotiation"] = "Direct",
            ["Realtime:ClientSecretSeconds"] = "10",
        });
        // OpenAI answers the offer only after the secret (and the slot held for it) has lapsed.
        voice.OpenAI.AnswerCallsWith(async offer =>
        {
            await Task.Delay(TimeSpan.FromSeconds(11));
            return await voice.Peer.EvaluateAsync<string>("([sdp, dcid]) => window.fakeOpenAI.answer(sdp, dcid)", new object?[] { offer.Sdp, offer.DataChannelId });
        });

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync("secret may have expired", new() { Timeout = 30_000 });
        await voice.ExpectTornDownAsync();
        // The page closed its side, which ends the call at OpenAI; the server never knew it to hang it up.
        await voice.Peer.WaitForFunctionAsync("() => window.fakeOpenAI.channelState() === 'closed'");
        Assert.Empty(voice.OpenAI.Arrivals($"/realtime/calls/{FakeOpenAI.CallId}/hangup"));
    }

    [Theory]
    [InlineData(Chromium.Microphone.PermissionDenied, "Microphone access was denied")]
    [InlineData(Chromium.Microphone.None, "No microphone was found")]
    public async Task Without_a_usable_microphone_nothing_is_spent_upstream(Chromium.Microphone microphone, string message)
    {
        await using var launched = await Chromium.LaunchAsync(browser.Playwright, microphone);
        await using var voice = await VoiceHarness.StartAsync(launched);

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync(message);
        await voice.ExpectTornDownAsync();
        Assert.Empty(voice.OpenAI.Arrivals("/realtime/calls"));
    }

    [Fact]
    public async Task When_OpenAI_drops_the_call_the_page_says_so_and_resets()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        await voice.Peer.EvaluateAsync("() => window.fakeOpenAI.drop()");

        await Expect(voice.Alert).ToContainTextAsync("Click Connect", new() { Timeout = BrowserFixture.Patience });
        await voice.ExpectTornDownAsync();
    }

    [Fact]
    public async Task An_expired_session_ends_with_a_message()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        await voice.SendEventsAsync(new
        {
            type = "error",
            event_id = "event_9",
            error = new { type = "invalid_request_error", code = "session_expired", message = "Your session hit the maximum duration of 60 minutes.", param = (string?)null, event_id = (string?)null },
        });

        await Expect(voice.Alert).ToContainTextAsync("time limit");
        await voice.ExpectTornDownAsync();
        await WaitForHangUpAsync(voice);
    }

    [Fact]
    public async Task A_recoverable_error_event_is_shown_and_the_session_goes_on()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        await voice.SendEventsAsync(new
        {
            type = "error",
            event_id = "event_5",
            error = new { type = "invalid_request_error", code = "invalid_value", message = "Invalid value for 'voice'.", param = "session.audio.output.voice", event_id = "evt_client_1" },
        });

        await Expect(voice.Alert).ToContainTextAsync("Invalid value for 'voice'.");
        await Expect(voice.Status).ToHaveTextAsync("Connected");
        await voice.WaitForMicrophoneAtPeerAsync();
    }

    [Fact]
    public async Task With_WebRTC_only_when_no_network_path_can_be_found_the_page_gives_up_with_advice()
    {
        // With the WebSocket allowed too, the call would fall back to it instead (WebSocketTransportTests).
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Transports"] = "WebRTC" });
        // OpenAI's answer names a candidate nobody listens on, as when a firewall blocks its media ports.
        voice.OpenAI.AnswerCallsWith(async offer =>
        {
            var answer = await voice.Peer.EvaluateAsync<string>("offer => window.fakeOpenAI.answer(offer)", offer.Sdp);
            var lines = answer.Split("\r\n").Where(line => !line.StartsWith("a=candidate", StringComparison.Ordinal) && !line.StartsWith("a=end-of-candidates", StringComparison.Ordinal)).ToList();
            var media = lines.FindIndex(line => line.StartsWith("a=mid:", StringComparison.Ordinal));
            lines.Insert(media + 1, "a=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host");
            return string.Join("\r\n", lines);
        });

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync("firewall", new() { Timeout = BrowserFixture.Patience + 15_000 });
        await voice.ExpectTornDownAsync();
    }

    private static Task WaitForHangUpAsync(VoiceHarness voice) =>
        Await.UntilAsync(() => voice.OpenAI.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 1, "1 hang-up(s) at OpenAI", TimeSpan.FromMilliseconds(BrowserFixture.Patience));
}
