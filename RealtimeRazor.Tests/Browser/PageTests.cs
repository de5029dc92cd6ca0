using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>Languages, keyboard and screen-reader use, and phones.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class PageTests(BrowserFixture browser)
{
    private static ILocator Button(VoiceHarness voice, string name) => voice.Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [Fact]
    public async Task A_Japanese_browser_gets_the_page_in_Japanese_and_the_switcher_changes_language()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, userOptions: new() { Locale = "ja-JP" });

        await Expect(voice.Page.Locator("html")).ToHaveAttributeAsync("lang", "ja");
        await Expect(voice.Status).ToHaveTextAsync("未接続");
        await Expect(voice.Page.GetByRole(AriaRole.Log, new() { Name = "会話の記録" })).ToBeAttachedAsync();

        // Strings the scripts produce come from the same table.
        await Button(voice, "接続").ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync("接続済み", new() { Timeout = BrowserFixture.Patience });
        await Expect(Button(voice, "ミュート")).ToBeEnabledAsync();
        await Expect(voice.Page.Locator("#assistant-speaking")).ToHaveTextAsync("アシスタント：無音");
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_u1", type = "message", role = "user", content = new[] { new { type = "input_text", text = "こんにちは" } } } });
        await Expect(voice.Page.GetByRole(AriaRole.Listitem)).ToHaveAccessibleNameAsync("あなた");
        await Button(voice, "切断").ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync("未接続", new() { Timeout = BrowserFixture.Patience });

        await Button(voice, "简体中文").ClickAsync();
        await Expect(voice.Page.Locator("html")).ToHaveAttributeAsync("lang", "zh-Hans");
        await Expect(Button(voice, "连接")).ToBeVisibleAsync();
        await Expect(voice.Status).ToHaveTextAsync("未连接");

        await Button(voice, "English").ClickAsync();
        await Expect(voice.ConnectButton).ToBeVisibleAsync();
        await Expect(voice.Status).ToHaveTextAsync("Not connected");
    }

    [Fact]
    public async Task Connect_is_usable_with_an_API_key_and_never_without_one()
    {
        await using var withKey = await VoiceHarness.StartAsync(browser.Browser);
        await Expect(withKey.ConnectButton).ToBeEnabledAsync();

        await using var withoutKey = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["OpenAI:ApiKey"] = "", ["OPENAI_API_KEY"] = "" });
        await Expect(withoutKey.Page.GetByText("OpenAI__ApiKey").First).ToBeVisibleAsync();
        // Rendered disabled, and still disabled once the page's module has run.
        await Expect(withoutKey.Page.Locator("html[data-ready='true']")).ToHaveCountAsync(1);
        await Expect(withoutKey.ConnectButton).ToBeDisabledAsync();
    }

    [Fact]
    public async Task A_Chinese_browser_gets_Simplified_Chinese()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, userOptions: new() { Locale = "zh-CN" });

        await Expect(Button(voice, "连接")).ToBeVisibleAsync();
        await Expect(voice.Page.GetByRole(AriaRole.Checkbox, new() { Name = "按键说话" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Every_control_is_reachable_by_Tab_with_a_name_and_Space_works_as_push_to_talk()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        // From the top of the page, as a keyboard user arriving on it.
        // (Clicking plain text moves the browser's Tab starting point there.)
        await voice.Page.GetByRole(AriaRole.Heading, new() { Name = "RealtimeRazor" }).ClickAsync();

        var visited = new List<string>();
        for (var step = 0; step < 40; step++)
        {
            await voice.Page.Keyboard.PressAsync("Tab");
            var focused = voice.Page.Locator(":focus");
            if (await focused.CountAsync() == 0)
                break;
            var id = await focused.EvaluateAsync<string>("e => e.id || e.textContent.trim()");
            if (visited.Contains(id))
                break;
            visited.Add(id);
            await Expect(focused).ToHaveAccessibleNameAsync(NonBlank());
        }
        foreach (var control in new[] { "connect", "mute", "push-to-talk", "microphone", "speaker", "message", "send", "download-markdown", "download-json", "copy-transcript", "English", "日本語", "Event log" })
            Assert.Contains(control, visited);

        // Space on the checkbox ticks it; Space elsewhere then holds the microphone open.
        await voice.Page.Locator("#push-to-talk").FocusAsync();
        await voice.Page.Keyboard.PressAsync("Space");
        await Expect(voice.Page.GetByRole(AriaRole.Checkbox, new() { Name = "Push to talk" })).ToBeCheckedAsync();
        await voice.WaitForClientEventAsync("session.update");
        await voice.Page.Keyboard.PressAsync("Tab");
        await Expect(Button(voice, "Hold to talk")).ToBeFocusedAsync();

        await voice.Page.Keyboard.DownAsync("Space");
        await voice.WaitForClientEventAsync("input_audio_buffer.clear");
        await voice.WaitForMicrophoneAtPeerAsync();
        await voice.Page.Keyboard.UpAsync("Space");

        await voice.WaitForClientEventAsync("response.create");
        Assert.Single(await voice.ClientEventsAsync("input_audio_buffer.commit"));
        await Expect(voice.Transcript).ToHaveAttributeAsync("aria-live", "polite");
    }

    [GeneratedRegex(@"\S")]
    private static partial Regex NonBlank();

    [Fact]
    public async Task The_page_fits_a_375_pixel_phone_without_sideways_scrolling()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Realtime:Presets:0:Name"] = "tutor",
            ["Realtime:Presets:1:Name"] = "walkie-talkie",
            ["Realtime:Presets:1:TurnDetection"] = "none",
        }, new() { ViewportSize = new() { Width = 375, Height = 740 }, DeviceScaleFactor = 2, HasTouch = true, IsMobile = true });

        await voice.ConnectAsync();
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_user1", type = "message", role = "user", content = new[] { new { type = "input_audio", transcript = (string?)null } } } },
            new { type = "conversation.item.input_audio_transcription.completed", item_id = "item_user1", transcript = "Can you spell https://example.com/a-very-long-address-without-any-spaces-at-all-to-break-on for me?" },
            new { type = "conversation.item.added", previous_item_id = "item_user1", item = new { id = "item_asst1", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "output_audio_buffer.started", response_id = "resp_1" },
            new { type = "response.output_audio_transcript.delta", item_id = "item_asst1", delta = "Sure: h, t, t, p, s, colon, slash, slash…" },
            new
            {
                type = "response.done",
                response = new
                {
                    id = "resp_1", status = "completed", output = Array.Empty<object>(),
                    usage = new
                    {
                        total_tokens = 1840, input_tokens = 1320, output_tokens = 520,
                        input_token_details = new { text_tokens = 310, audio_tokens = 1010, cached_tokens = 0 },
                        output_token_details = new { text_tokens = 120, audio_tokens = 400 },
                    },
                },
            });
        await Expect(Button(voice, "Interrupt")).ToBeEnabledAsync();
        await ExpectNoSidewaysScrollAsync(voice);

        if (Environment.GetEnvironmentVariable("README_SCREENSHOTS") is { Length: > 0 } directory)
        {
            await voice.SpeakAsync(true);
            await voice.WaitForAssistantAudioInPageAsync();
            await voice.Page.ScreenshotAsync(new() { Path = Path.Combine(directory, "phone.png"), FullPage = true });
            await voice.Page.SetViewportSizeAsync(1100, 900);
            await voice.Page.ScreenshotAsync(new() { Path = Path.Combine(directory, "desktop.png"), FullPage = true });
            await voice.Page.SetViewportSizeAsync(375, 740);
        }

        // Push-to-talk adds the widest row of buttons.
        await voice.Page.GetByRole(AriaRole.Checkbox, new() { Name = "Push to talk" }).CheckAsync();
        await Expect(Button(voice, "Hold to talk")).ToBeVisibleAsync();
        await ExpectNoSidewaysScrollAsync(voice);
        await Expect(voice.ConnectButton.Or(voice.DisconnectButton)).ToBeInViewportAsync();
    }

    private static async Task ExpectNoSidewaysScrollAsync(VoiceHarness voice)
    {
        var width = await voice.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 375, $"the page is {width} px wide");
    }
}
