using Microsoft.Playwright;
using RealtimeRazor.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class VoiceSessionTests(BrowserFixture browser)
{
    public static TheoryData<string> Modes => new() { "Relay", "Direct" };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_session_carries_audio_both_ways_and_shows_the_conversation_in_order(string mode)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Negotiation"] = mode });

        await voice.ConnectAsync();
        await Expect(voice.DisconnectButton).ToBeVisibleAsync();

        // The user's speech reaches OpenAI; OpenAI's voice plays in the page.
        await voice.WaitForMicrophoneAtPeerAsync();
        await voice.SpeakAsync(true);
        await voice.WaitForAssistantAudioInPageAsync();

        // Real-world order: the assistant starts answering before the user's transcription is done.
        await voice.SendEventsAsync(
            new { type = "input_audio_buffer.speech_started", item_id = "item_user1", audio_start_ms = 300 },
            new { type = "input_audio_buffer.speech_stopped", item_id = "item_user1", audio_end_ms = 2900 },
            new { type = "input_audio_buffer.committed", item_id = "item_user1", previous_item_id = (string?)null },
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_user1", type = "message", role = "user", content = new[] { new { type = "input_audio", transcript = (string?)null } } } },
            new { type = "response.created", response = new { id = "resp_1", status = "in_progress" } },
            new { type = "conversation.item.added", previous_item_id = "item_user1", item = new { id = "item_asst1", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "response.output_audio_transcript.delta", item_id = "item_asst1", delta = "It is sunny " });

        var assistantLine = voice.TranscriptLines.Filter(new() { HasText = "It is sunny" });
        await Expect(assistantLine).ToHaveAttributeAsync("aria-busy", "true");
        await Expect(assistantLine).ToHaveAccessibleNameAsync("Assistant");

        await voice.SendEventsAsync(
            new { type = "response.output_audio_transcript.delta", item_id = "item_asst1", delta = "and warm in Tokyo." },
            new { type = "response.output_audio_transcript.done", item_id = "item_asst1", transcript = "It is sunny and warm in Tokyo." },
            new { type = "conversation.item.input_audio_transcription.completed", item_id = "item_user1", transcript = "What is the weather like in Tokyo today?" });

        await Expect(voice.TranscriptLines).ToHaveCountAsync(2);
        await Expect(voice.TranscriptLines.Nth(0)).ToHaveAccessibleNameAsync("You");
        await Expect(voice.TranscriptLines.Nth(0)).ToContainTextAsync("What is the weather like in Tokyo today?");
        await Expect(voice.TranscriptLines.Nth(1)).ToHaveAccessibleNameAsync("Assistant");
        await Expect(voice.TranscriptLines.Nth(1)).ToContainTextAsync("It is sunny and warm in Tokyo.");
        await Expect(voice.TranscriptLines.Nth(1)).Not.ToHaveAttributeAsync("aria-busy", "true");

        // A turn whose user item is announced after the reply still lands above the reply.
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = "item_user2", item = new { id = "item_asst2", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "response.output_audio_transcript.done", item_id = "item_asst2", transcript = "Yes, take an umbrella tomorrow." },
            new { type = "conversation.item.added", previous_item_id = "item_asst1", item = new { id = "item_user2", type = "message", role = "user", content = new[] { new { type = "input_audio", transcript = (string?)null } } } },
            new { type = "conversation.item.input_audio_transcription.completed", item_id = "item_user2", transcript = "Will it rain tomorrow?" });
        await Expect(voice.TranscriptLines).ToHaveTextAsync(new[]
        {
            "YouWhat is the weather like in Tokyo today?",
            "AssistantIt is sunny and warm in Tokyo.",
            "YouWill it rain tomorrow?",
            "AssistantYes, take an umbrella tomorrow.",
        });

        // Every event is in the log, in both directions.
        var log = voice.Page.Locator("details.event-log");
        await log.Locator("summary").ClickAsync();
        await Expect(log.GetByText("session.created")).ToBeVisibleAsync();
        await Expect(log.GetByText("response.output_audio_transcript.done")).ToHaveCountAsync(2);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task With_a_pre_negotiated_data_channel_the_call_names_it_and_events_flow_both_ways(string mode)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Realtime:Negotiation"] = mode,
            ["Realtime:PreNegotiatedDataChannel"] = "true",
        });

        await voice.ConnectAsync();

        var call = Assert.Single(voice.OpenAI.Requests("/realtime/calls")).RequestMessage!;
        Assert.Equal("0", Assert.Single(call.Query!["dcid"]));
        Assert.True(await voice.Peer.EvaluateAsync<bool>("() => window.fakeOpenAI.channelNegotiated()"), "OpenAI's side did not create the channel itself");
        // OpenAI to the page: its greeting is logged. The page to OpenAI: a typed message, echoed as a line.
        var log = voice.Page.Locator("details.event-log");
        await log.Locator("summary").ClickAsync();
        await Expect(log.GetByText("session.created")).ToBeVisibleAsync();
        await voice.Page.GetByRole(AriaRole.Textbox, new() { Name = "Type a message" }).FillAsync("Are you there?");
        await voice.Page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        await voice.WaitForClientEventAsync("response.create");
        await Expect(voice.TranscriptLines.Filter(new() { HasText = "Are you there?" })).ToHaveCountAsync(1);
        await voice.WaitForMicrophoneAtPeerAsync();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Disconnect_releases_the_microphone_and_the_call_and_Connect_works_again(string mode)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Negotiation"] = mode });
        await voice.ConnectAsync();
        Assert.Equal(1, await voice.LiveMicrophoneTracksAsync());

        await voice.DisconnectButton.ClickAsync();

        await voice.ExpectTornDownAsync();
        await voice.Peer.WaitForFunctionAsync("() => window.fakeOpenAI.channelState() === 'closed'");
        // Direct mode too: the page reported the call OpenAI named, so the server hangs it up with its key.
        await Await.UntilAsync(() => voice.OpenAI.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 1, "1 hang-up(s) at OpenAI", TimeSpan.FromMilliseconds(BrowserFixture.Patience));
        var hangUp = Assert.Single(voice.OpenAI.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup")).RequestMessage!;
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", hangUp.Headers!["Authorization"].Single());

        await voice.ConnectAsync();
        Assert.Equal(2, await voice.Peer.EvaluateAsync<int>("() => window.fakeOpenAI.callCount()"));
        await voice.WaitForMicrophoneAtPeerAsync();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Five_Connect_Disconnect_cycles_in_a_row_all_succeed_with_two_sessions_per_user(string mode)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Realtime:Negotiation"] = mode,
            ["Access:MaxSessionsPerUser"] = "2",
        });

        for (var cycle = 1; cycle <= 5; cycle++)
        {
            await voice.ConnectAsync();
            await voice.DisconnectButton.ClickAsync();
            // Disconnect is done once the server has hung up: the slot is free before Connect is offered again.
            await voice.ExpectTornDownAsync();
        }

        Assert.Equal(5, await voice.PeerCallCountAsync());
        await Expect(voice.Alert).ToBeHiddenAsync();
        // The fake logs a request as it answers it, so the last one may show up a moment later.
        await Await.UntilAsync(() => voice.OpenAI.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 5, "5 hang-up(s) at OpenAI", TimeSpan.FromMilliseconds(BrowserFixture.Patience));
    }

    [Fact]
    public async Task Both_waveforms_move_with_the_sound_while_a_call_is_live_and_are_cleared_when_it_ends()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        var microphoneWave = voice.Page.GetByRole(AriaRole.Img, new() { Name = "Your microphone level" });
        var assistantWave = voice.Page.GetByRole(AriaRole.Img, new() { Name = "Assistant audio level" });
        var blankMicrophone = await microphoneWave.ScreenshotAsync();
        var blankAssistant = await assistantWave.ScreenshotAsync();

        await voice.ConnectAsync();
        await voice.SpeakAsync(true);

        // Looping speech and a tone: each picture leaves the blank canvas and keeps changing.
        var microphoneFrame = await WaitForPictureAsync(microphoneWave, picture => !picture.SequenceEqual(blankMicrophone));
        await WaitForPictureAsync(microphoneWave, picture => !picture.SequenceEqual(microphoneFrame) && !picture.SequenceEqual(blankMicrophone));
        await WaitForPictureAsync(assistantWave, picture => !picture.SequenceEqual(blankAssistant));

        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        await WaitForPictureAsync(microphoneWave, picture => picture.SequenceEqual(blankMicrophone));
        await WaitForPictureAsync(assistantWave, picture => picture.SequenceEqual(blankAssistant));
    }

    private static async Task<byte[]> WaitForPictureAsync(ILocator canvas, Func<byte[], bool> condition)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(BrowserFixture.Patience);
        while (true)
        {
            var picture = await canvas.ScreenshotAsync();
            if (condition(picture))
                return picture;
            Assert.True(DateTime.UtcNow < deadline, "The waveform never showed what was expected.");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task With_the_microphone_already_allowed_the_offer_does_not_wait_for_the_device()
    {
        // Allowed before the page opens, as for a returning user. The page learns it asynchronously
        // (permission query, then the device listing); a click before that rightly waits for the device,
        // so on a busy machine the click must wait for what the user sees: devices listed by name.
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, openPage: false);
        await voice.Context.GrantPermissionsAsync(["microphone"]);
        await voice.Page.GotoAsync(voice.AppUrl.ToString());
        await Expect(voice.Page.GetByRole(AriaRole.Combobox, new() { Name = "Microphone" }).Locator("option")).Not.ToHaveCountAsync(1);

        await voice.ConnectAsync();

        // An offer made before the device opened names no stream for its audio sender.
        var call = Assert.Single(voice.OpenAI.Requests("/realtime/calls")).RequestMessage!;
        var offer = (await Multipart.ReadFieldsAsync(call.Headers!["Content-Type"].Single(), call.Body!))["sdp"];
        Assert.Contains("a=msid:- ", offer, StringComparison.Ordinal);
        // The microphone still reaches OpenAI once it opens. (Before permission is granted the page waits
        // for it: ErrorPathTests shows a refused microphone costs no upstream call.)
        await voice.WaitForMicrophoneAtPeerAsync();
        Assert.Equal(1, await voice.LiveMicrophoneTracksAsync());
    }

    [Theory]
    [InlineData("main")]
    [InlineData("session")]
    [InlineData("page-parts")]
    public async Task A_click_before_the_pages_modules_have_arrived_starts_the_call_when_they_do(string module)
    {
        // Connect is usable once it is on screen. The page's own entry module (main.js), WebRTC and negotiation
        // (session.js), and the page's transcript, controls and meters (page-parts.js) may all arrive later on a
        // slow network, and a quick user clicks first. Here one of them is held back until after the click.
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, openPage: false);
        var release = new TaskCompletionSource();
        await voice.Page.RouteAsync($"**/js/{module}.*.js", async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });
        // Not waiting for `load`: that waits for the page's modules.
        await voice.Page.GotoAsync(voice.AppUrl.ToString(), new() { WaitUntil = WaitUntilState.Commit });
        await Expect(voice.ConnectButton).ToBeEnabledAsync();

        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync("Connecting…");
        Assert.Empty(voice.OpenAI.Arrivals("/realtime/calls"));
        release.SetResult();

        await Expect(voice.Status).ToHaveTextAsync("Connected", new() { Timeout = BrowserFixture.Patience });
        await voice.WaitForMicrophoneAtPeerAsync();
        await Expect(voice.Page.Locator("#mute")).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Direct_mode_mints_a_secret_and_posts_the_offer_to_OpenAI_with_it()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Negotiation"] = "Direct" });

        await voice.ConnectAsync();

        Assert.Single(voice.OpenAI.Requests("/realtime/client_secrets"));
        var call = Assert.Single(voice.OpenAI.Requests("/realtime/calls"));
        Assert.Equal($"Bearer {FakeOpenAI.EphemeralKey}", call.RequestMessage!.Headers!["Authorization"].Single());
        Assert.StartsWith("application/sdp", call.RequestMessage.Headers["Content-Type"].Single(), StringComparison.Ordinal);
        Assert.DoesNotContain(FakeOpenAI.ApiKey, await voice.Page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_mode_keeps_every_key_out_of_the_browser()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        // Playwright raises Response on its own thread, while the assertion below may be reading.
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        voice.Page.Response += (_, response) => seen.Enqueue(response.Url);

        await voice.ConnectAsync();

        Assert.Empty(voice.OpenAI.Arrivals("/realtime/client_secrets"));
        var call = Assert.Single(voice.OpenAI.Requests("/realtime/calls"));
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", call.RequestMessage!.Headers!["Authorization"].Single());
        Assert.DoesNotContain(seen, url => url.StartsWith(voice.OpenAI.Server.Url!, StringComparison.Ordinal));
    }

}
