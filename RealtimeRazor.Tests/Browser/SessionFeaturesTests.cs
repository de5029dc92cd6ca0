using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using RealtimeRazor.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>Devices, presets, usage and cost, exporting the transcript, and reconnecting after a drop.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SessionFeaturesTests(BrowserFixture browser)
{
    private static ILocator Button(VoiceHarness voice, string name) => voice.Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    private static Task ScriptConversationAsync(VoiceHarness voice) => voice.SendEventsAsync(
        new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_user1", type = "message", role = "user", content = new[] { new { type = "input_audio", transcript = (string?)null } } } },
        new { type = "conversation.item.input_audio_transcription.completed", item_id = "item_user1", transcript = "Which train goes to Kyoto?" },
        new { type = "conversation.item.added", previous_item_id = "item_user1", item = new { id = "item_asst1", type = "message", role = "assistant", content = Array.Empty<object>() } },
        new { type = "response.output_audio_transcript.done", item_id = "item_asst1", transcript = "The Shinkansen, about two hours." });

    [Fact]
    public async Task The_microphone_can_be_switched_live_without_a_new_call()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        await voice.WaitForMicrophoneAtPeerAsync();
        var picker = voice.Page.GetByRole(AriaRole.Combobox, new() { Name = "Microphone" });

        // Chromium's fake devices, named once the microphone is allowed, after "System default".
        await Expect(picker.Locator("option")).Not.ToHaveCountAsync(1);
        var device = await picker.Locator("option").Nth(1).GetAttributeAsync("value");
        Assert.False(string.IsNullOrEmpty(device));
        await picker.SelectOptionAsync(device!);

        await voice.Page.WaitForFunctionAsync("() => window.__test.micRequests() === 2");
        await voice.Page.WaitForFunctionAsync("() => window.__test.liveMicTracks() === 1");
        await voice.Peer.WaitForFunctionAsync("() => window.fakeOpenAI.micLevel() > 0.01", null, new() { Timeout = BrowserFixture.Patience, PollingInterval = 20 });
        Assert.Equal(1, await voice.PeerCallCountAsync());
        await Expect(voice.Status).ToHaveTextAsync("Connected");
        Assert.Equal("open", await voice.Peer.EvaluateAsync<string>("() => window.fakeOpenAI.channelState()"));

        var speaker = voice.Page.GetByRole(AriaRole.Combobox, new() { Name = "Speaker" });
        // Chromium supports setSinkId, so the speaker picker is offered with its fake outputs.
        await Expect(speaker).ToBeVisibleAsync();
        await Expect(speaker.Locator("option")).Not.ToHaveCountAsync(1);
        var output = await speaker.Locator("option").Nth(1).GetAttributeAsync("value") ?? "";
        await speaker.SelectOptionAsync(output);
        await voice.Page.WaitForFunctionAsync("id => document.getElementById('assistant-audio').sinkId === id", output);
        await Expect(voice.Alert).ToBeHiddenAsync();
    }

    [Theory]
    [InlineData("Relay")]
    [InlineData("Direct")]
    public async Task A_chosen_preset_is_sent_by_name_and_the_server_builds_its_session(string mode)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Realtime:Negotiation"] = mode,
            ["Realtime:Presets:0:Name"] = "tutor",
            ["Realtime:Presets:0:Voice"] = "cedar",
            ["Realtime:Presets:0:Instructions"] = "You are a patient language tutor.",
        });

        await voice.Page.GetByRole(AriaRole.Combobox, new() { Name = "Preset" }).SelectOptionAsync("tutor");
        await voice.ConnectAsync();

        JsonNode session;
        if (mode == "Relay")
        {
            var call = Assert.Single(voice.OpenAI.Requests("/realtime/calls")).RequestMessage!;
            var fields = await Multipart.ReadFieldsAsync(call.Headers!["Content-Type"].Single(), call.Body!);
            session = JsonNode.Parse(fields["session"])!;
        }
        else
        {
            session = JsonNode.Parse(Assert.Single(voice.OpenAI.Requests("/realtime/client_secrets")).RequestMessage!.Body!)!["session"]!;
        }
        Assert.Equal("cedar", (string?)session["audio"]!["output"]!["voice"]);
        Assert.Equal("You are a patient language tutor.", (string?)session["instructions"]);
        await Expect(voice.Page.GetByRole(AriaRole.Combobox, new() { Name = "Preset" })).ToBeDisabledAsync();
    }

    [Fact]
    public async Task Own_instructions_are_offered_only_when_allowed_and_reach_the_session()
    {
        await using (var locked = await VoiceHarness.StartAsync(browser.Browser))
            await Expect(locked.Page.GetByRole(AriaRole.Textbox, new() { Name = "Your own instructions (optional)" })).ToHaveCountAsync(0);

        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:AllowCustomInstructions"] = "true" });
        await voice.Page.GetByRole(AriaRole.Textbox, new() { Name = "Your own instructions (optional)" }).FillAsync("Answer only in haiku.");

        await voice.ConnectAsync();

        var call = Assert.Single(voice.OpenAI.Requests("/realtime/calls")).RequestMessage!;
        var fields = await Multipart.ReadFieldsAsync(call.Headers!["Content-Type"].Single(), call.Body!);
        Assert.Equal("Answer only in haiku.", (string?)JsonNode.Parse(fields["session"])!["instructions"]);
    }

    [Fact]
    public async Task Usage_and_estimated_cost_add_up_over_responses()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        await voice.SendEventsAsync(
            new
            {
                type = "response.done",
                response = new
                {
                    id = "resp_1", status = "completed", output = Array.Empty<object>(),
                    usage = new
                    {
                        total_tokens = 1500, input_tokens = 1000, output_tokens = 500,
                        input_token_details = new { text_tokens = 200, audio_tokens = 800, cached_tokens = 0 },
                        output_token_details = new { text_tokens = 100, audio_tokens = 400 },
                    },
                },
            },
            new
            {
                type = "response.done",
                response = new
                {
                    id = "resp_2", status = "completed", output = Array.Empty<object>(),
                    usage = new
                    {
                        total_tokens = 2300, input_tokens = 2000, output_tokens = 300,
                        input_token_details = new { text_tokens = 300, audio_tokens = 1700, cached_tokens = 1000, cached_tokens_details = new { text_tokens = 100, audio_tokens = 900 } },
                        output_token_details = new { text_tokens = 50, audio_tokens = 250 },
                    },
                },
            });

        await Expect(voice.Page.Locator("#usage-total")).ToHaveTextAsync("3,800");
        await Expect(voice.Page.Locator("#usage-input")).ToHaveTextAsync("3,000");
        await Expect(voice.Page.Locator("#usage-output")).ToHaveTextAsync("800");
        // gpt-realtime's default prices per 1M: audio 32 in / 64 out, text 4 in / 16 out, cached 0.40.
        // (2500-900)·32 + (500-100)·4 + 1000·0.4 + 650·64 + 150·16 = 97,200 → $0.0972
        await Expect(voice.Page.Locator("#usage-cost")).ToHaveTextAsync("$0.0972");
    }

    [Fact]
    public async Task The_transcript_downloads_as_Markdown_and_JSON_and_copies_to_the_clipboard()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = voice.AppUrl.GetLeftPart(UriPartial.Authority) });
        await voice.ConnectAsync();
        await ScriptConversationAsync(voice);
        await Expect(voice.TranscriptLines).ToHaveCountAsync(2);

        var markdown = await DownloadAsync(voice, "Download Markdown", ".md");
        Assert.Contains("# Transcript", markdown);
        Assert.True(markdown.IndexOf("**You:** Which train goes to Kyoto?", StringComparison.Ordinal) < markdown.IndexOf("**Assistant:** The Shinkansen, about two hours.", StringComparison.Ordinal));
        Assert.Contains("**Assistant:** The Shinkansen, about two hours.", markdown);

        var json = JsonDocument.Parse(await DownloadAsync(voice, "Download JSON", ".json")).RootElement;
        var items = json.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(2, items.Length);
        Assert.Equal(("item_user1", "user", "Which train goes to Kyoto?"), (items[0].GetProperty("id").GetString(), items[0].GetProperty("role").GetString(), items[0].GetProperty("text").GetString()));
        Assert.Equal(("item_asst1", "assistant", "The Shinkansen, about two hours."), (items[1].GetProperty("id").GetString(), items[1].GetProperty("role").GetString(), items[1].GetProperty("text").GetString()));

        await Button(voice, "Copy transcript").ClickAsync();
        await Expect(voice.Page.Locator("#export-note")).ToHaveTextAsync("Transcript copied.");
        var copied = await voice.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(markdown.Split('\n').Skip(3), copied.Split('\n').Skip(3));
    }

    private static async Task<string> DownloadAsync(VoiceHarness voice, string button, string extension)
    {
        var download = await voice.Page.RunAndWaitForDownloadAsync(() => Button(voice, button).ClickAsync());
        Assert.EndsWith(extension, download.SuggestedFilename, StringComparison.Ordinal);
        var path = await download.PathAsync();
        return await File.ReadAllTextAsync(path);
    }

    [Fact]
    public async Task After_a_drop_Reconnect_keeps_the_transcript_and_carries_it_into_a_new_call()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        await ScriptConversationAsync(voice);
        await Expect(voice.TranscriptLines).ToHaveCountAsync(2);

        await voice.Peer.EvaluateAsync("() => window.fakeOpenAI.drop()");

        var reconnect = Button(voice, "Reconnect");
        await Expect(reconnect).ToBeVisibleAsync(new() { Timeout = BrowserFixture.Patience });
        await voice.ExpectTornDownAsync();
        await Expect(voice.TranscriptLines).ToHaveCountAsync(2);

        await reconnect.ClickAsync();

        await Expect(voice.Status).ToHaveTextAsync("Connected", new() { Timeout = BrowserFixture.Patience });
        await Expect(reconnect).ToBeHiddenAsync();
        Assert.Equal(2, await voice.PeerCallCountAsync());
        await voice.WaitForClientEventAsync("conversation.item.create", 2);
        var carried = (await voice.ClientEventsAsync("conversation.item.create")).Select(e => e.GetProperty("item")).ToArray();
        Assert.Equal(2, carried.Length);
        Assert.Equal(("item_user1", "user", "input_text", "Which train goes to Kyoto?"), Describe(carried[0]));
        Assert.Equal(("item_asst1", "assistant", "output_text", "The Shinkansen, about two hours."), Describe(carried[1]));

        // OpenAI's echoes of the carried items land on the lines already shown; new turns follow them.
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = "item_asst1", item = new { id = "item_user2", type = "message", role = "user", content = new[] { new { type = "input_text", text = "And back?" } } } });
        await Expect(voice.TranscriptLines).ToHaveTextAsync(new[]
        {
            "YouWhich train goes to Kyoto?",
            "AssistantThe Shinkansen, about two hours.",
            "YouAnd back?",
        });

        static (string?, string?, string?, string?) Describe(JsonElement item)
        {
            var content = item.GetProperty("content")[0];
            return (item.GetProperty("id").GetString(), item.GetProperty("role").GetString(), content.GetProperty("type").GetString(), content.GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task The_settings_OpenAI_puts_in_force_are_shown_and_a_near_rate_limit_is_announced()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        var settings = voice.Page.Locator("#session-settings");
        var limit = voice.Page.Locator("#rate-limit");

        await voice.SendEventsAsync(new
        {
            type = "session.updated",
            session = new { type = "realtime", model = "gpt-realtime", audio = new { input = new { turn_detection = (object?)null }, output = new { voice = "cedar" } } },
        });
        await Expect(settings).ToHaveTextAsync("In force: voice cedar · push to talk · model gpt-realtime");

        // Plenty left: nothing to say. Under a tenth left: the user hears about it before OpenAI refuses.
        await voice.SendEventsAsync(new { type = "rate_limits.updated", rate_limits = new[] { new { name = "requests", limit = 100, remaining = 90, reset_seconds = 30.0 }, new { name = "tokens", limit = 40000, remaining = 30000, reset_seconds = 2.5 } } });
        await voice.SendEventsAsync(new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_marker", type = "message", role = "assistant", content = new[] { new { type = "output_text", text = "Marker" } } } });
        await Expect(voice.TranscriptLines.Filter(new() { HasText = "Marker" })).ToBeVisibleAsync();
        await Expect(limit).ToBeHiddenAsync();

        await voice.SendEventsAsync(new { type = "rate_limits.updated", rate_limits = new[] { new { name = "requests", limit = 100, remaining = 90, reset_seconds = 30.0 }, new { name = "tokens", limit = 40000, remaining = 1200, reset_seconds = 6.2 } } });
        await Expect(limit).ToHaveTextAsync("Close to OpenAI's rate limit: 1,200 tokens left, reset in 7 s. Replies may be refused until then.");
        await Expect(limit).ToHaveAttributeAsync("aria-live", "polite");

        // A new call starts from what its own session says.
        await voice.DisconnectButton.ClickAsync();
        await voice.ConnectAsync();
        await Expect(settings).ToBeHiddenAsync();
        await Expect(limit).ToBeHiddenAsync();
    }
    [Fact]
    public async Task A_remote_tool_call_that_needs_approval_is_put_to_the_user_and_the_answer_goes_back_to_OpenAI()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "mcpr_1", type = "mcp_approval_request", server_label = "docs", name = "search", arguments = "{\"query\":\"opening hours\"}" } },
            new { type = "conversation.item.added", previous_item_id = "mcpr_1", item = new { id = "mcpr_2", type = "mcp_approval_request", server_label = "docs", name = "delete_page", arguments = "{\"page\":\"home\"}" } },
            new { type = "conversation.item.done", previous_item_id = "mcpr_1", item = new { id = "mcpr_2", type = "mcp_approval_request", server_label = "docs", name = "delete_page", arguments = "{\"page\":\"home\"}" } });

        var approvals = voice.Page.GetByRole(AriaRole.List, new() { Name = "Tool calls waiting for your approval" });
        var requests = approvals.GetByRole(AriaRole.Listitem);
        await Expect(requests).ToHaveCountAsync(2);
        var search = requests.Filter(new() { HasText = "Allow search on docs?" });
        await Expect(search).ToContainTextAsync("opening hours");
        await search.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        await requests.Filter(new() { HasText = "Allow delete_page on docs?" }).GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();

        await voice.WaitForClientEventAsync("conversation.item.create", 2);
        var answers = (await voice.ClientEventsAsync("conversation.item.create")).Select(e => e.GetProperty("item")).ToList();
        Assert.All(answers, answer => Assert.Equal("mcp_approval_response", answer.GetProperty("type").GetString()));
        Assert.Equal(
            [("mcpr_1", true), ("mcpr_2", false)],
            answers.Select(answer => (answer.GetProperty("approval_request_id").GetString(), answer.GetProperty("approve").GetBoolean())));
        await Expect(voice.Page.Locator("#mcp-approvals")).ToBeHiddenAsync();
        // No empty speaker lines for the requests in the transcript.
        await Expect(voice.TranscriptLines).ToHaveCountAsync(0);
    }
    [Fact]
    public async Task A_remote_MCP_tool_call_shows_as_a_Tool_line_with_its_server_and_result_or_failure()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();

        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "mcp_1", type = "mcp_call", server_label = "docs", name = "search", arguments = "{\"query\":\"opening hours\"}", output = (string?)null, error = (string?)null } },
            new { type = "response.output_item.done", item = new { id = "mcp_1", type = "mcp_call", server_label = "docs", name = "search", arguments = "{\"query\":\"opening hours\"}", output = "Open 9 to 18", error = (string?)null } },
            new { type = "conversation.item.added", previous_item_id = "mcp_1", item = new { id = "mcp_2", type = "mcp_call", server_label = "docs", name = "fetch", arguments = "{}", output = (string?)null, error = "server unreachable" } });

        var search = voice.TranscriptLines.Filter(new() { HasText = "docs: search" });
        await Expect(search).ToHaveAccessibleNameAsync("Tool");
        await Expect(search).ToContainTextAsync("opening hours");
        await Expect(search).ToContainTextAsync("→ Open 9 to 18");
        await Expect(voice.TranscriptLines.Filter(new() { HasText = "docs: fetch" })).ToContainTextAsync("failed");
    }
}
