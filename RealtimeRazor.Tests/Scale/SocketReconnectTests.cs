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
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly FakeOpenAI fake = new();
    private readonly List<AppProcess> apps = [];
    private readonly List<string> homes = [];
    private RedisServer redis = null!;

    public async Task InitializeAsync() => redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var app in apps)
                await app.DisposeAsync();
        }
        finally
        {
            await redis.DisposeAsync();
            fake.Dispose();
            foreach (var home in homes)
                Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task When_the_instance_carrying_a_WebSocket_call_dies_the_page_reconnects_through_another_with_the_conversation()
    {
        var started = new[] { Start(), Start() };
        var addresses = await Task.WhenAll(started.Select(app => app.AddressAsync(StartTimeout)));
        using var nginx = await NginxProxy.StartAsync(addresses);
        var upstream = fake.RealtimeSocket;
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
        var carrier = Assert.Single(apps, app => app.StandardOutput.Any(line => line.Contains("Session started: call", StringComparison.Ordinal)));
        apps.Remove(carrier);
        carrier.Dispose();
        var survivor = Assert.Single(apps);
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

    private AppProcess Start()
    {
        var home = Directory.CreateTempSubdirectory("realtimerazor-home-").FullName;
        homes.Add(home);
        var app = AppProcess.Start(BuildOutput.WebDll, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["HOME"] = home,
            ["OpenAI__ApiKey"] = FakeOpenAI.ApiKey,
            ["OpenAI__BaseUrl"] = fake.BaseUrl,
            ["Redis__Configuration"] = redis.Configuration,
            ["Realtime__Transports"] = "WebSocket",
            // More than one instance needs records on PostgreSQL; this test is about the call, not its record.
            ["Records__Enabled"] = "false",
        }, workingDirectory: Path.Combine(Repository.Root, "RealtimeRazor.Web"));
        apps.Add(app);
        return app;
    }
}
