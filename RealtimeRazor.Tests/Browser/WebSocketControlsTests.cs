using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>
/// Every control of the page on the WebSocket transport, as a user drives it in real Chromium with the fake
/// microphone, against the fake's Realtime WebSocket interface (which measures the energy of the appended audio):
/// mute, push-to-talk, switching the microphone, a typed message and the transcript's export, the time limit,
/// Reconnect after a drop, and the page in another language.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class WebSocketControlsTests(BrowserFixture browser)
{
    private const string Connected = "Connected (WebSocket fallback)";

    private static ILocator Button(VoiceHarness voice, string name) => voice.Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>The page forced onto the WebSocket, connected, with the fake microphone's speech arriving at OpenAI.</summary>
    private async Task<VoiceHarness> ConnectAsync(Dictionary<string, string?>? settings = null, BrowserNewContextOptions? userOptions = null, string connected = Connected)
    {
        settings ??= [];
        settings["Realtime:Transports"] = "WebSocket";
        var voice = await VoiceHarness.StartAsync(browser.Browser, settings, userOptions);
        try
        {
            voice.OpenAI.RealtimeSocket.AnswerSpeech = false;
            // By its id: the page may be in another language.
            await voice.Page.Locator("#connect:not([disabled])").ClickAsync();
            await Expect(voice.Status).ToHaveTextAsync(connected, new() { Timeout = BrowserFixture.Patience });
            await SpeechGrowsAsync(voice, "the user's speech at OpenAI");
            return voice;
        }
        catch
        {
            await voice.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until OpenAI has heard another 300 ms of the microphone's speech.</summary>
    private static async Task SpeechGrowsAsync(VoiceHarness voice, string what)
    {
        var before = voice.OpenAI.RealtimeSocket.Audio.SpeechMs;
        await Await.UntilAsync(() => voice.OpenAI.RealtimeSocket.Audio.SpeechMs >= before + 300, what, TimeSpan.FromSeconds(30));
    }

    /// <summary>Over <paramref name="seconds"/>, appends keep arriving but carry no speech.</summary>
    private static async Task OnlySilenceArrivesAsync(VoiceHarness voice, double seconds, string why)
    {
        var upstream = voice.OpenAI.RealtimeSocket;
        // What was captured before the change may still be on its way.
        await Task.Delay(750);
        var (receivedBefore, speechBefore) = upstream.Audio;
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var (receivedAfter, speechAfter) = upstream.Audio;
        Assert.True(speechAfter == speechBefore, $"{why}: OpenAI heard {speechAfter - speechBefore} ms of speech");
        Assert.True(receivedAfter > receivedBefore, "the page stopped sending audio altogether");
    }

    private static IReadOnlyList<string?> TypesUpstream(VoiceHarness voice) =>
        [.. voice.OpenAI.RealtimeSocket.Received.Select(json => JsonDocument.Parse(json).RootElement.GetProperty("type").GetString()).Where(type => type != "input_audio_buffer.append")];

    [Fact]
    public async Task Mute_sends_only_silence_to_OpenAI_until_unmuted()
    {
        await using var voice = await ConnectAsync();

        await Button(voice, "Mute").ClickAsync();

        await Expect(voice.Page.Locator("#user-speaking")).ToHaveTextAsync("You: muted");
        await OnlySilenceArrivesAsync(voice, 2, "muted");
        Assert.Equal(1, await voice.LiveMicrophoneTracksAsync());

        await Button(voice, "Unmute").ClickAsync();

        await SpeechGrowsAsync(voice, "the speech at OpenAI after unmuting");
        await Expect(voice.Status).ToHaveTextAsync(Connected);
    }

    [Fact]
    public async Task Push_to_talk_turns_detection_off_through_the_filter_sends_speech_only_while_held_and_commits_on_release()
    {
        await using var voice = await ConnectAsync();
        var upstream = voice.OpenAI.RealtimeSocket;

        await voice.Page.GetByRole(AriaRole.Checkbox, new() { Name = "Push to talk" }).CheckAsync();

        // The page's session.update passed the server's filter: after the server's own, one that only turns detection off.
        await Await.UntilAsync(() => upstream.ReceivedOfType("session.update").Count == 2, "the page's session.update at OpenAI");
        var update = upstream.ReceivedOfType("session.update")[1].GetProperty("session");
        Assert.Equal(JsonValueKind.Null, update.GetProperty("audio").GetProperty("input").GetProperty("turn_detection").ValueKind);
        Assert.False(update.TryGetProperty("instructions", out _));
        await OnlySilenceArrivesAsync(voice, 1.5, "before the button was held");

        await Button(voice, "Hold to talk").HoverAsync();
        await voice.Page.Mouse.DownAsync();

        await Expect(voice.Page.Locator("#user-speaking")).ToHaveTextAsync("You: speaking");
        await SpeechGrowsAsync(voice, "the speech at OpenAI while held");
        Assert.Empty(upstream.ReceivedOfType("input_audio_buffer.commit"));

        await voice.Page.Mouse.UpAsync();

        await Await.UntilAsync(() => upstream.ReceivedOfType("response.create").Count == 1, "the turn committed and a response asked for");
        Assert.Equal(["input_audio_buffer.clear", "input_audio_buffer.commit", "response.create"], TypesUpstream(voice).SkipWhile(type => type != "input_audio_buffer.clear"));
        await OnlySilenceArrivesAsync(voice, 1.5, "after the button was released");
    }

    [Fact]
    public async Task Switching_the_microphone_mid_call_captures_the_new_one_on_the_same_socket()
    {
        await using var voice = await ConnectAsync();
        var picker = voice.Page.GetByRole(AriaRole.Combobox, new() { Name = "Microphone" });
        await Expect(picker.Locator("option")).Not.ToHaveCountAsync(1);
        var device = await picker.Locator("option").Nth(1).GetAttributeAsync("value");
        Assert.False(string.IsNullOrEmpty(device));

        await picker.SelectOptionAsync(device!);

        await voice.Page.WaitForFunctionAsync("() => window.__test.micRequests() === 2");
        await voice.Page.WaitForFunctionAsync("() => window.__test.liveMicTracks() === 1");
        await SpeechGrowsAsync(voice, "the new microphone's speech at OpenAI");
        Assert.Single(voice.OpenAI.RealtimeSocket.Handshakes);
        await Expect(voice.Status).ToHaveTextAsync(Connected);
        await Expect(voice.Alert).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_typed_message_reaches_OpenAI_is_shown_as_your_line_and_the_transcript_exports_it()
    {
        await using var voice = await ConnectAsync();
        var upstream = voice.OpenAI.RealtimeSocket;

        await voice.Page.GetByRole(AriaRole.Textbox, new() { Name = "Type a message" }).FillAsync("Where is the nearest station?");
        await Button(voice, "Send").ClickAsync();

        await Await.UntilAsync(() => upstream.ReceivedOfType("response.create").Count == 1, "the message and a response asked for at OpenAI");
        var item = upstream.ReceivedOfType("conversation.item.create").Single().GetProperty("item");
        Assert.Equal("user", item.GetProperty("role").GetString());
        Assert.Equal("Where is the nearest station?", item.GetProperty("content")[0].GetProperty("text").GetString());
        // The line comes from OpenAI's echo of the item.
        await Expect(voice.TranscriptLines).ToHaveCountAsync(1);
        await Expect(voice.TranscriptLines.Nth(0)).ToHaveAccessibleNameAsync("You");
        await Expect(voice.TranscriptLines.Nth(0)).ToContainTextAsync("Where is the nearest station?");

        var download = await voice.Page.RunAndWaitForDownloadAsync(() => Button(voice, "Download Markdown").ClickAsync());
        Assert.EndsWith(".md", download.SuggestedFilename, StringComparison.Ordinal);
        var markdown = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Contains("**You:** Where is the nearest station?", markdown);
    }

    [Fact]
    public async Task At_the_time_limit_the_page_ends_the_WebSocket_call_and_the_server_frees_it()
    {
        // 15 s: long enough that the countdown is still showing when a busy machine gets round to looking.
        await using var voice = await ConnectAsync(new() { ["Realtime:MaxSessionMinutes"] = "0.25" });

        await Expect(voice.Page.GetByText(TimeLeft())).ToBeVisibleAsync();
        await Expect(voice.Alert).ToContainTextAsync("limit", new() { Timeout = BrowserFixture.Patience });

        await voice.ExpectTornDownAsync();
        await Await.UntilAsync(() => voice.OpenAI.RealtimeSocket.OpenSockets == 0, "OpenAI's socket to close");
    }

    [GeneratedRegex(@"Time left 0:[01]\d")]
    private static partial Regex TimeLeft();

    [GeneratedRegex("^a=candidate:.*\r\n", RegexOptions.Multiline)]
    private static partial Regex Candidates();

    [Fact]
    public async Task After_a_drop_Reconnect_goes_straight_to_the_WebSocket_that_worked_and_carries_the_transcript()
    {
        // Both transports configured, on a network where WebRTC cannot connect: the first call falls back.
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        var upstream = voice.OpenAI.RealtimeSocket;
        upstream.AnswerSpeech = false;
        voice.OpenAI.AnswerCallsWith(async offer => Candidates().Replace(
            await voice.Peer.EvaluateAsync<string>("([sdp, dcid]) => window.fakeOpenAI.answer(sdp, dcid)", new object?[] { Candidates().Replace(offer.Sdp, ""), offer.DataChannelId }), ""));
        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync(Connected, new() { Timeout = BrowserFixture.Patience });
        await voice.Page.GetByRole(AriaRole.Textbox, new() { Name = "Type a message" }).FillAsync("Which train goes to Kyoto?");
        await Button(voice, "Send").ClickAsync();
        await Expect(voice.TranscriptLines).ToHaveCountAsync(1);

        upstream.Drop();

        var reconnect = Button(voice, "Reconnect");
        await Expect(reconnect).ToBeVisibleAsync(new() { Timeout = BrowserFixture.Patience });
        await voice.ExpectTornDownAsync();
        await reconnect.ClickAsync();

        await Expect(voice.Status).ToHaveTextAsync(Connected, new() { Timeout = BrowserFixture.Patience });
        // No second WebRTC attempt: the tab remembered what worked.
        Assert.Single(voice.OpenAI.Arrivals("/realtime/calls"));
        Assert.Equal(2, upstream.Handshakes.Count);
        await Await.UntilAsync(() => upstream.ReceivedOfType("conversation.item.create").Count == 2, "the transcript carried into the new session");
        var carried = upstream.ReceivedOfType("conversation.item.create")[1].GetProperty("item");
        Assert.Equal("Which train goes to Kyoto?", carried.GetProperty("content")[0].GetProperty("text").GetString());
        await Expect(voice.TranscriptLines).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_budget_spent_on_a_WebSocket_call_is_announced_and_the_next_call_is_refused_with_the_budget_text()
    {
        await using var voice = await ConnectAsync(new() { ["Access:Budget:PerUserDailyUsd"] = "0.05" });

        // 1,000 audio output tokens: 0.064 US dollars at gpt-realtime's 64 per million, counted by the server's controller.
        await voice.OpenAI.RealtimeSocket.SendAsync("""
            {"type":"response.done","response":{"id":"resp_1","status":"completed","output":[],"usage":{"total_tokens":1000,"input_tokens":0,"output_tokens":1000,"output_token_details":{"text_tokens":0,"audio_tokens":1000}}}}
            """);

        await Expect(voice.Page.Locator("#budget-notice")).ToHaveTextAsync("Today's budget is spent: the call ends after this reply.", new() { Timeout = BrowserFixture.Patience });
        await Expect(voice.Page.Locator("#usage-cost")).ToHaveTextAsync("$0.0640");
        // The server may already have ended the call after the reply; otherwise the user does.
        if (await voice.DisconnectButton.IsVisibleAsync())
            await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        await voice.ConnectButton.ClickAsync();

        // The refused handshake, explained by the server to the page's question, in the page's words.
        await Expect(voice.Alert).ToContainTextAsync("You have used today's budget of 0.05 US dollars on this site.", new() { Timeout = BrowserFixture.Patience });
        Assert.Single(voice.OpenAI.RealtimeSocket.Handshakes);
    }

    [Fact]
    public async Task In_Japanese_the_WebSocket_call_is_announced_and_controlled_in_Japanese()
    {
        await using var voice = await ConnectAsync(userOptions: new() { Locale = "ja-JP" }, connected: "接続済み (WebSocket フォールバック)");

        await Expect(voice.Page.Locator("html")).ToHaveAttributeAsync("lang", "ja");
        await voice.Page.GetByRole(AriaRole.Button, new() { Name = "切断", Exact = true }).ClickAsync();

        await Expect(voice.Status).ToHaveTextAsync("未接続");
        await Await.UntilAsync(() => voice.OpenAI.RealtimeSocket.OpenSockets == 0, "OpenAI's socket to close");
    }
}
