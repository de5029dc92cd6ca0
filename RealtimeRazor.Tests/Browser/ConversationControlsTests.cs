using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>Mute, push-to-talk, typed messages, interrupting and who-is-speaking, as a user drives them.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConversationControlsTests(BrowserFixture browser)
{
    // The fake microphone plays speech at ~0.1-0.3 RMS; a disabled track arrives as digital silence.
    private const double Silence = 0.001;
    private const double Speech = 0.01;

    private static ILocator Button(VoiceHarness voice, string name) => voice.Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [Fact]
    public async Task Mute_silences_the_microphone_at_OpenAI_until_unmuted()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        await voice.WaitForMicrophoneAtPeerAsync();

        await Button(voice, "Mute").ClickAsync();

        await Expect(Button(voice, "Unmute")).ToBeVisibleAsync();
        await Expect(voice.Page.Locator("#user-speaking")).ToHaveTextAsync("You: muted");
        await voice.WaitForMicrophoneSilenceAtPeerAsync(Silence);
        Assert.True(await voice.PeakMicrophoneAtPeerAsync() < Silence, "the peer heard the microphone while muted");
        Assert.Equal(1, await voice.LiveMicrophoneTracksAsync());

        await Button(voice, "Unmute").ClickAsync();

        await Expect(Button(voice, "Mute")).ToBeVisibleAsync();
        await voice.WaitForMicrophoneAtPeerAsync(Speech);
        await Expect(voice.Status).ToHaveTextAsync("Connected");
    }

    [Fact]
    public async Task Push_to_talk_sends_only_while_held_and_commits_the_turn_on_release()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        await voice.WaitForMicrophoneAtPeerAsync();

        await voice.Page.GetByRole(AriaRole.Checkbox, new() { Name = "Push to talk" }).CheckAsync();

        // The session stops detecting turns itself, and nothing is sent until the button is held.
        await voice.WaitForClientEventAsync("session.update");
        var update = Assert.Single(await voice.ClientEventsAsync("session.update"));
        var turnDetection = update.GetProperty("session").GetProperty("audio").GetProperty("input").GetProperty("turn_detection");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, turnDetection.ValueKind);
        await voice.WaitForMicrophoneSilenceAtPeerAsync(Silence);
        Assert.True(await voice.PeakMicrophoneAtPeerAsync() < Silence, "the peer heard the microphone before the button was held");

        var hold = Button(voice, "Hold to talk");
        await hold.HoverAsync();
        await voice.Page.Mouse.DownAsync();

        await voice.WaitForClientEventAsync("input_audio_buffer.clear");
        await Expect(voice.Page.Locator("#user-speaking")).ToHaveTextAsync("You: speaking");
        await voice.WaitForMicrophoneAtPeerAsync(Speech);
        Assert.Empty(await voice.ClientEventsAsync("input_audio_buffer.commit"));

        await voice.Page.Mouse.UpAsync();

        await voice.WaitForClientEventAsync("response.create");
        var types = await voice.ClientEventTypesAsync();
        Assert.Equal(["input_audio_buffer.clear", "input_audio_buffer.commit", "response.create"], types.SkipWhile(type => type != "input_audio_buffer.clear").ToArray());
        await voice.WaitForMicrophoneSilenceAtPeerAsync(Silence);
    }

    [Fact]
    public async Task A_typed_message_is_sent_as_a_user_item_with_a_response_and_shown_as_your_line()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        await voice.Page.GetByRole(AriaRole.Textbox, new() { Name = "Type a message" }).FillAsync("Where is the nearest station?");
        await Button(voice, "Send").ClickAsync();

        await voice.WaitForClientEventAsync("response.create");
        var create = Assert.Single(await voice.ClientEventsAsync("conversation.item.create"));
        var item = create.GetProperty("item");
        Assert.Equal("message", item.GetProperty("type").GetString());
        Assert.Equal("user", item.GetProperty("role").GetString());
        var content = Assert.Single(item.GetProperty("content").EnumerateArray().ToArray());
        Assert.Equal("input_text", content.GetProperty("type").GetString());
        Assert.Equal("Where is the nearest station?", content.GetProperty("text").GetString());
        Assert.Equal(new[] { "conversation.item.create", "response.create" }, (await voice.ClientEventTypesAsync()).ToArray());

        // The line comes from OpenAI's echo of the item, so it sits in conversation order.
        await Expect(voice.TranscriptLines).ToHaveCountAsync(1);
        await Expect(voice.TranscriptLines.Nth(0)).ToHaveAccessibleNameAsync("You");
        await Expect(voice.TranscriptLines.Nth(0)).ToContainTextAsync("Where is the nearest station?");
        await Expect(voice.Page.GetByRole(AriaRole.Textbox, new() { Name = "Type a message" })).ToHaveValueAsync("");
    }

    [Fact]
    public async Task Interrupt_cancels_the_reply_clears_its_audio_and_marks_the_line()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        var interrupt = Button(voice, "Interrupt");
        await Expect(interrupt).ToBeDisabledAsync();

        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_asst0", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "response.output_audio_transcript.done", item_id = "item_asst0", transcript = "Hello! How can I help?" },
            new { type = "response.created", response = new { id = "resp_1", status = "in_progress" } },
            new { type = "conversation.item.added", previous_item_id = "item_asst0", item = new { id = "item_asst1", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "output_audio_buffer.started", response_id = "resp_1" },
            new { type = "response.output_audio_transcript.delta", item_id = "item_asst1", delta = "Let me tell you a very long story about" });

        await Expect(interrupt).ToBeEnabledAsync();
        await interrupt.ClickAsync();

        await voice.WaitForClientEventAsync("output_audio_buffer.clear");
        var types = (await voice.ClientEventTypesAsync()).ToList();
        Assert.True(types.IndexOf("response.cancel") >= 0 && types.IndexOf("response.cancel") < types.IndexOf("output_audio_buffer.clear"), string.Join(", ", types));
        var line = voice.TranscriptLines.Filter(new() { HasText = "a very long story" });
        await Expect(line).ToContainTextAsync("(interrupted)");
        await Expect(line).ToHaveAccessibleNameAsync("Assistant");
        await Expect(interrupt).ToBeDisabledAsync();

        // OpenAI confirms the cancellation; the earlier, finished reply is left as it was.
        await voice.SendEventsAsync(new { type = "response.done", response = new { id = "resp_1", status = "cancelled", output = new[] { new { id = "item_asst1", type = "message" } } } });
        await Expect(voice.Transcript.GetByText("(interrupted)")).ToHaveCountAsync(1);
        await Expect(voice.TranscriptLines.Filter(new() { HasText = "How can I help?" })).Not.ToContainTextAsync("(interrupted)");
    }

    [Fact]
    public async Task A_reply_cancelled_by_OpenAI_is_marked_interrupted_too()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        // Server turn detection cancels a reply when the user talks over it.
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_asst1", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "response.output_audio_transcript.delta", item_id = "item_asst1", delta = "The museum opens at" },
            new { type = "response.done", response = new { id = "resp_1", status = "cancelled", output = new[] { new { id = "item_asst1", type = "message" } } } });

        await Expect(voice.TranscriptLines.Filter(new() { HasText = "The museum opens at" })).ToContainTextAsync("(interrupted)");
    }

    private const string LongReply = "The museum opens at nine in the morning and closes at six in the evening, except on Mondays when it stays closed all day.";

    /// <summary>A reply OpenAI finished writing while its audio still plays, then the user cuts in (WebRTC's real order).</summary>
    private static Task CutInLateAsync(VoiceHarness voice, string responseId, string itemId, string? previousItemId, int audioEndMs) => voice.SendEventsAsync(
        new { type = "response.created", response = new { id = responseId, status = "in_progress" } },
        new { type = "conversation.item.added", previous_item_id = previousItemId, item = new { id = itemId, type = "message", role = "assistant", content = Array.Empty<object>() } },
        new { type = "output_audio_buffer.started", response_id = responseId },
        new { type = "response.output_audio_transcript.done", item_id = itemId, transcript = LongReply },
        new { type = "response.done", response = new { id = responseId, status = "completed", output = new[] { new { id = itemId, type = "message" } } } },
        new { type = "input_audio_buffer.speech_started", item_id = "item_user_cut", audio_start_ms = 5000 },
        new { type = "output_audio_buffer.cleared", response_id = responseId },
        new { type = "conversation.item.truncated", item_id = itemId, content_index = 0, audio_end_ms = audioEndMs });

    [Fact]
    public async Task Cutting_in_late_on_a_finished_reply_marks_it_and_cuts_the_line_where_playback_stopped()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        // Four seconds heard, at a typical 15 characters a second: the line ends near the 60th character.
        await CutInLateAsync(voice, "resp_1", "item_asst1", null, audioEndMs: 4000);

        var line = voice.TranscriptLines.Filter(new() { HasText = "The museum opens" });
        await Expect(line).ToContainTextAsync("(interrupted)");
        await Expect(line).ToContainTextAsync("The museum opens at nine in the morning and closes at six");
        await Expect(line).Not.ToContainTextAsync("evening");
        // What is exported or carried into a reconnect is what the user heard, as in the model's memory.
        await voice.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = voice.AppUrl.GetLeftPart(UriPartial.Authority) });
        await Button(voice, "Copy transcript").ClickAsync();
        await Expect(voice.Page.Locator("#export-note")).ToHaveTextAsync("Transcript copied.");
        Assert.DoesNotContain("Mondays", await voice.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cut_follows_the_speaking_rate_of_replies_heard_to_the_end()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        // 40 characters that played for at least four seconds: at most 10 a second, slower than the typical 15.
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_slow", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "output_audio_buffer.started", response_id = "resp_slow" },
            new { type = "response.output_audio_transcript.done", item_id = "item_slow", transcript = "Good morning, and welcome to the museum." },
            new { type = "response.done", response = new { id = "resp_slow", status = "completed", output = new[] { new { id = "item_slow", type = "message" } } } });
        await Task.Delay(TimeSpan.FromSeconds(4));
        await voice.SendEventsAsync(new { type = "output_audio_buffer.stopped", response_id = "resp_slow" });

        await CutInLateAsync(voice, "resp_2", "item_asst2", "item_slow", audioEndMs: 4000);

        // At the typical rate the line would keep "at six"; this voice had not got that far.
        var line = voice.TranscriptLines.Filter(new() { HasText = "The museum opens" });
        await Expect(line).ToContainTextAsync("(interrupted)");
        await Expect(line).ToContainTextAsync("The museum opens at nine");
        await Expect(line).Not.ToContainTextAsync("six");
        await Expect(voice.TranscriptLines.Filter(new() { HasText = "Good morning" })).Not.ToContainTextAsync("(interrupted)");
    }

    [Fact]
    public async Task Speaking_indicators_follow_both_sides_and_Interrupt_is_only_offered_while_the_assistant_speaks()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        var user = voice.Page.Locator("#user-speaking");
        var assistant = voice.Page.Locator("#assistant-speaking");
        await Expect(user).ToHaveTextAsync("You: quiet");
        await Expect(assistant).ToHaveTextAsync("Assistant: quiet");

        await voice.SendEventsAsync(new { type = "input_audio_buffer.speech_started", item_id = "item_u1", audio_start_ms = 100 });
        await Expect(user).ToHaveTextAsync("You: speaking");
        await Expect(user).ToHaveAttributeAsync("data-state", "speaking");

        await voice.SendEventsAsync(new { type = "input_audio_buffer.speech_stopped", item_id = "item_u1", audio_end_ms = 900 });
        await Expect(user).ToHaveTextAsync("You: quiet");

        await voice.SendEventsAsync(new { type = "output_audio_buffer.started", response_id = "resp_1" });
        await Expect(assistant).ToHaveTextAsync("Assistant: speaking");
        await Expect(Button(voice, "Interrupt")).ToBeEnabledAsync();

        await voice.SendEventsAsync(new { type = "output_audio_buffer.stopped", response_id = "resp_1" });
        await Expect(assistant).ToHaveTextAsync("Assistant: quiet");
        await Expect(Button(voice, "Interrupt")).ToBeDisabledAsync();
    }
}
