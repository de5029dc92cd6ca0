using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using RealtimeRazor.Web.Access;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>axe-core's WCAG 2.1 A and AA rules on every page and state, at desktop and phone widths; and the keyboard alone.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserFixture browser)
{
    private static readonly AxeRunOptions Wcag21AA = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    public static TheoryData<string> Screens => new() { "desktop", "phone" };

    private static BrowserNewContextOptions Screen(string screen) => screen == "phone"
        ? new() { ViewportSize = new() { Width = 375, Height = 740 }, DeviceScaleFactor = 2, HasTouch = true, IsMobile = true }
        : new() { ViewportSize = new() { Width = 1280, Height = 800 } };

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task The_voice_page_passes_WCAG_2_1_AA_idle_connecting_connected_and_after_an_error(string screen)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, userOptions: Screen(screen));
        await Expect(voice.ConnectButton).ToBeEnabledAsync();
        await ExpectNoViolationsAsync(voice.Page, "idle");

        // OpenAI's answer waits until the connecting page has been checked.
        var answerNow = new TaskCompletionSource();
        voice.OpenAI.AnswerCallsWith(async offer =>
        {
            await answerNow.Task;
            return await voice.Peer.EvaluateAsync<string>("([sdp, dcid]) => window.fakeOpenAI.answer(sdp, dcid)", new object?[] { offer.Sdp, offer.DataChannelId });
        });
        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync("Connecting…");
        await ExpectNoViolationsAsync(voice.Page, "connecting");
        answerNow.SetResult();

        await Expect(voice.Status).ToHaveTextAsync("Connected", new() { Timeout = 15_000 });
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_u1", type = "message", role = "user", content = new[] { new { type = "input_text", text = "What is the weather like?" } } } },
            new { type = "conversation.item.added", previous_item_id = "item_u1", item = new { id = "item_a1", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "response.output_audio_transcript.delta", item_id = "item_a1", delta = "It is sunny" });
        await Expect(voice.TranscriptLines).ToHaveCountAsync(2);
        await voice.Page.GetByText("Event log").ClickAsync();
        await ExpectNoViolationsAsync(voice.Page, "connected, with a transcript and the event log open");

        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        voice.OpenAI.Fail("/realtime/calls", 401);
        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Alert).ToContainTextAsync("API key was rejected");
        await ExpectNoViolationsAsync(voice.Page, "after an error");
    }

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task The_sign_in_page_passes_WCAG_2_1_AA_before_and_after_a_wrong_passcode(string screen)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Passcode",
            ["Access:Passcodes:team"] = PasscodeHasher.Hash("correct horse battery staple"),
        }, Screen(screen));
        await Expect(voice.Page.GetByLabel("Passcode")).ToBeVisibleAsync();
        await ExpectNoViolationsAsync(voice.Page, "sign-in");

        await voice.Page.GetByLabel("Passcode").FillAsync("wrong guess");
        await voice.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(voice.Page.GetByText("That passcode is not right.")).ToBeVisibleAsync();
        await ExpectNoViolationsAsync(voice.Page, "sign-in after a wrong passcode");
    }

    [Fact]
    public async Task A_keyboard_alone_connects_sends_a_message_and_disconnects()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await Expect(voice.ConnectButton).ToBeEnabledAsync();
        var keyboard = voice.Page.Keyboard;

        await TabToAsync(voice, voice.ConnectButton);
        await keyboard.PressAsync("Enter");
        await Expect(voice.Status).ToHaveTextAsync("Connected", new() { Timeout = 15_000 });

        await TabToAsync(voice, voice.Page.GetByRole(AriaRole.Textbox, new() { Name = "Type a message" }));
        await keyboard.TypeAsync("Hello from the keyboard");
        await TabToAsync(voice, voice.Page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }));
        await keyboard.PressAsync("Space");
        await voice.WaitForClientEventAsync("conversation.item.create");
        var sent = Assert.Single(await voice.ClientEventsAsync("conversation.item.create"));
        Assert.Equal("Hello from the keyboard", sent.GetProperty("item").GetProperty("content")[0].GetProperty("text").GetString());
        await voice.WaitForClientEventAsync("response.create");

        await TabToAsync(voice, voice.DisconnectButton, backwards: true);
        await keyboard.PressAsync("Enter");
        await voice.ExpectTornDownAsync();
    }

    /// <summary>Presses Tab (or Shift+Tab) until <paramref name="target"/> has the focus, as a keyboard user would.</summary>
    private static async Task TabToAsync(VoiceHarness voice, ILocator target, bool backwards = false)
    {
        for (var step = 0; step < 40; step++)
        {
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
                return;
            await voice.Page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
        }
        Assert.Fail($"40 presses of {(backwards ? "Shift+Tab" : "Tab")} never reached {target}");
    }

    private static async Task ExpectNoViolationsAsync(IPage page, string state)
    {
        var result = await page.RunAxe(Wcag21AA);
        Assert.True(result.Violations.Length == 0, $"axe found WCAG 2.1 AA violations on the page ({state}):\n" + string.Join("\n",
            result.Violations.Select(violation => $"- {violation.Id} ({violation.Impact}): {violation.Help}\n    " +
                string.Join("\n    ", violation.Nodes.Select(node => node.Html)))));
    }
}
