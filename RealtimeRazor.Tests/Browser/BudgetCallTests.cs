using RealtimeRazor.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>
/// The server counts what a call costs from the usage OpenAI reports on the sideband: the page's meter
/// shows that count, and a budget spent mid-call ends the call after the reply and refuses the next.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BudgetCallTests(BrowserFixture browser)
{
    /// <summary>1,000 audio output tokens: 0.064 US dollars at gpt-realtime's 64 per million.</summary>
    private static object ReplyDone(string id) => new
    {
        type = "response.done",
        response = new
        {
            id,
            status = "completed",
            output = Array.Empty<object>(),
            usage = new { total_tokens = 1000, input_tokens = 0, output_tokens = 1000, output_token_details = new { text_tokens = 0, audio_tokens = 1000 } },
        },
    };

    [Fact]
    public async Task A_budget_spent_mid_call_is_announced_the_call_ends_after_the_reply_and_the_next_is_refused()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Access:Budget:PerUserDailyUsd"] = "0.05",
            ["Realtime:BuiltInTools:EndCall:GraceSeconds"] = "30",
        });
        await voice.ConnectAsync();
        await Await.UntilAsync(() => voice.OpenAI.Sideband.OpenSockets == 1, "the server's sideband to the call", TimeSpan.FromSeconds(30));

        await voice.SendEventsAsync(new { type = "output_audio_buffer.started", response_id = "resp_1" }, ReplyDone("resp_1"));

        await Expect(voice.Page.Locator("#budget-notice")).ToHaveTextAsync("Today's budget is spent: the call ends after this reply.", new() { Timeout = BrowserFixture.Patience });
        await Expect(voice.Page.Locator("#usage-cost")).ToHaveTextAsync("$0.0640");
        // The reply is still playing: the call is not cut off mid-sentence.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(voice.OpenAI.Arrivals($"/realtime/calls/{FakeOpenAI.CallId}/hangup"));

        await voice.SendEventsAsync(new { type = "output_audio_buffer.stopped", response_id = "resp_1" });
        await Await.UntilAsync(() => voice.OpenAI.Arrivals($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 1, "the hang-up after the reply", TimeSpan.FromSeconds(30));

        await voice.DisconnectButton.ClickAsync();
        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Alert).ToContainTextAsync("You have used today's budget of 0.05 US dollars on this site.", new() { Timeout = BrowserFixture.Patience });
        Assert.Single(voice.OpenAI.Arrivals("/realtime/calls"));
    }

    [Fact]
    public async Task The_usage_meter_shows_the_servers_count_where_the_page_sees_no_usage()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        await voice.ConnectAsync();
        await Await.UntilAsync(() => voice.OpenAI.Sideband.OpenSockets == 1, "the server's sideband to the call", TimeSpan.FromSeconds(30));

        // Only the sideband hears this reply's usage, as on Azure's filtered Direct channel.
        await voice.OpenAI.Sideband.SendAsync(System.Text.Json.JsonSerializer.Serialize(ReplyDone("resp_1")));

        await Expect(voice.Page.Locator("#usage-total")).ToHaveTextAsync("1,000", new() { Timeout = BrowserFixture.Patience });
        await Expect(voice.Page.Locator("#usage-cost")).ToHaveTextAsync("$0.0640");
    }
}
