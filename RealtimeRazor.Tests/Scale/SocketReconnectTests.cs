using Microsoft.Playwright;
using RealtimeRazor.Tests.Browser;
using RealtimeRazor.Tests.Browser.Tracing;
using RealtimeRazor.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// A WebSocket-transport call carries the page's audio through one instance, so it cannot be taken over
/// when that instance dies: the page reconnects on its own, through the same address (real nginx, round
/// robin over two real app processes sharing a real Redis), to the survivor, with the conversation so far.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SocketReconnectTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Connected = "Connected (WebSocket fallback)";
    private SharedRedisSite site = null!;

    public async Task InitializeAsync() => site = await SharedRedisSite.StartAsync();

    public async Task DisposeAsync() => await site.DisposeAsync();

    [Fact]
    public async Task When_the_instance_carrying_a_WebSocket_call_dies_the_page_reconnects_through_another_with_the_conversation()
    {
        // One session per user: the dead instance's slot must lapse (within seconds) for the reconnect to get one.
        var (a, b) = await site.StartTwoAsync(new Dictionary<string, string> { ["Realtime__Transports"] = "WebSocket", ["Access__MaxSessionsPerUser"] = "1" });
        using var nginx = await NginxProxy.StartAsync(a, b);
        var upstream = site.Fake.RealtimeSocket;
        upstream.AnswerSpeech = false;

        await using var userContext = await TracedContext.OpenAsync(browser.Browser, "user", new BrowserNewContextOptions { Locale = "en-US", IgnoreHTTPSErrors = true });
        var page = await userContext.Context.NewPageAsync();
        await page.GotoAsync(nginx.Url.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        var status = page.GetByRole(AriaRole.Status);
        await Expect(status).ToHaveTextAsync(Connected, new() { Timeout = BrowserFixture.Patience });
        var lines = page.GetByRole(AriaRole.Log, new() { Name = "Transcript" }).GetByRole(AriaRole.Listitem);
        await upstream.ReplyAsync();
        await Expect(lines.Nth(1)).ToContainTextAsync(FakeRealtimeSocket.ReplyTranscript);

        // Killed, as a crash or a lost machine ends it: the page's socket drops without a close frame.
        var carrier = Assert.Single(site.Apps, app => app.StandardOutput.Any(line => line.Contains("Session started: call", StringComparison.Ordinal)));
        site.Apps.Remove(carrier);
        carrier.Dispose();
        var survivor = Assert.Single(site.Apps);
        var heardBefore = upstream.Audio.SpeechMs;

        await Await.UntilAsync(() => survivor.StandardOutput.Any(line => line.Contains("Session started: call", StringComparison.Ordinal)),
            "the page's new call through the surviving instance", TimeSpan.FromSeconds(60));
        await Expect(status).ToHaveTextAsync(Connected, new() { Timeout = BrowserFixture.Patience });
        // The new session at OpenAI starts from the conversation so far, sent again as items; the page still shows it.
        await Await.UntilAsync(() => upstream.ReceivedOfType("conversation.item.create").Any(e => e.GetRawText().Contains(FakeRealtimeSocket.ReplyTranscript, StringComparison.Ordinal)),
            "the conversation so far at OpenAI's new session", TimeSpan.FromSeconds(30));
        await Expect(lines.Nth(1)).ToContainTextAsync(FakeRealtimeSocket.ReplyTranscript);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Disconnect", Exact = true })).ToBeEnabledAsync();
        await Await.UntilAsync(() => upstream.Audio.SpeechMs >= heardBefore + 300, "the user's speech at OpenAI again", TimeSpan.FromSeconds(30));
    }
}
