using System.ComponentModel;
using System.Text.Json.Nodes;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Records;
using RealtimeRazor.Web.Records;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>
/// Kept conversations as a user meets them in Chromium: a call with speech, typed text and a tool call
/// appears in History, its page shows every line in order, Continue starts a call whose session the server
/// filled from the record, and delete removes it; another browser gets 404. axe finds nothing on the pages.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class HistoryBrowserTests(BrowserFixture browser)
{
    private static readonly AxeRunOptions Wcag21AA = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    private static void Tools(IServiceCollection services) =>
        services.AddSingleton(AIFunctionFactory.Create(([Description("City")] string city) => $"Sunny in {city}", "get_weather", "Today's weather in a city."));

    private static readonly string[] Lines =
    [
        "YouWeather in Tokyo?",
        """Toolget_weather {"city":"Tokyo"} → Sunny in Tokyo""",
        "AssistantIt is sunny in Tokyo.",
        "YouThank you!",
    ];

    [Theory]
    [InlineData("desktop")]
    [InlineData("phone")]
    public async Task A_call_shows_in_History_line_by_line_Continue_carries_the_servers_context_and_delete_removes_it(string screen)
    {
        var options = screen == "phone"
            ? new BrowserNewContextOptions { ViewportSize = new() { Width = 375, Height = 740 }, DeviceScaleFactor = 2, HasTouch = true, IsMobile = true }
            : null;
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, userOptions: options, services: Tools);
        await voice.ConnectAsync();
        await Await.UntilAsync(() => voice.OpenAI.Sideband.OpenSockets == 1, "the server's sideband to the call", TimeSpan.FromSeconds(30));

        await voice.SendEventsAsync(new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_user1", type = "message", role = "user", content = new[] { new { type = "input_text", text = "Weather in Tokyo?" } } } });
        var call = new { id = "item_fc1", type = "function_call", status = "completed", call_id = "call_1", name = "get_weather", arguments = """{"city":"Tokyo"}""" };
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = "item_user1", item = call with { status = "in_progress" } },
            new { type = "response.function_call_arguments.done", item_id = "item_fc1", call_id = "call_1", arguments = call.arguments },
            new { type = "response.output_item.done", response_id = "resp_1", item = call },
            new { type = "response.done", response = new { id = "resp_1", status = "completed", output = new[] { call } } });
        await voice.WaitForClientEventAsync("response.create");
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = "item_echo1", item = new { id = "item_a1", type = "message", role = "assistant", content = new[] { new { type = "output_audio", transcript = (string?)null } } } },
            new { type = "response.output_audio_transcript.done", item_id = "item_a1", transcript = "It is sunny in Tokyo." },
            // Speech: the user's audio item, whose transcription completes after it was added.
            new { type = "conversation.item.added", previous_item_id = "item_a1", item = new { id = "item_u2", type = "message", role = "user", content = new[] { new { type = "input_audio", transcript = (string?)null } } } },
            new { type = "conversation.item.input_audio_transcription.completed", item_id = "item_u2", content_index = 0, transcript = "Thank you!" });
        await Expect(voice.TranscriptLines).ToHaveCountAsync(4);
        // The server has handled the call's last event before the user hangs up.
        await Await.UntilAsync(async () => (await RecordsApp.ConversationAsync(voice.App.Services, FakeOpenAI.CallId))?.Items.Any(i => i.Text == "Thank you!") == true,
            "the last line in the record", TimeSpan.FromSeconds(30));
        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();

        var page = voice.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        await Expect(page.GetByText("Conversations are kept for 30 days")).ToBeVisibleAsync();
        await Expect(page.GetByText("this history belongs to this browser")).ToBeVisibleAsync();
        var entry = page.GetByRole(AriaRole.Link, new() { Name = "Weather in Tokyo?" });
        await Expect(entry).ToBeVisibleAsync();
        await ExpectNoViolationsAsync(page, "history");
        await page.GetByRole(AriaRole.Searchbox).FillAsync("sunny");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(entry).ToBeVisibleAsync();

        await entry.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Listitem)).ToHaveTextAsync(Lines);
        await ExpectNoViolationsAsync(page, "a conversation");
        var conversationUrl = page.Url;

        // Another browser: the same address is not found.
        await using (var stranger = await browser.Browser.NewContextAsync(new() { Locale = "en-US" }))
        {
            var strangerPage = await stranger.NewPageAsync();
            var response = await strangerPage.GotoAsync(conversationUrl);
            Assert.Equal(404, response!.Status);
        }

        // Continue: a new call whose session the server filled with the last turns; the page sent only the id.
        await page.GetByRole(AriaRole.Link, new() { Name = "Continue this conversation" }).ClickAsync();
        var posted = page.WaitForRequestAsync(request => request.Method == "POST" && request.Url.Contains("/api/realtime/calls", StringComparison.Ordinal));
        await voice.ConnectAsync();
        var fromPage = await posted;
        Assert.Contains("continue=", fromPage.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("Tokyo", fromPage.Url + fromPage.PostData, StringComparison.Ordinal);
        var calls = voice.OpenAI.Requests("/realtime/calls");
        Assert.Equal(2, calls.Count);
        var fields = await Multipart.ReadFieldsAsync(calls[1].RequestMessage!.Headers!["Content-Type"].First(), calls[1].RequestMessage!.Body!);
        var instructions = (string)JsonNode.Parse(fields["session"])!["instructions"]!;
        Assert.Contains("User: Weather in Tokyo?\n", instructions.ReplaceLineEndings("\n"));
        Assert.Contains("Assistant: It is sunny in Tokyo.\nUser: Thank you!", instructions.ReplaceLineEndings("\n"));
        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();

        await page.GotoAsync(conversationUrl);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete this conversation" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/history$"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Weather in Tokyo?" })).ToHaveCountAsync(0);
        Assert.Equal(404, (await page.GotoAsync(conversationUrl))!.Status);
    }

    [Fact]
    public async Task A_WebSocket_call_shows_in_History_with_transport_websocket_and_its_lines_in_order()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Transports"] = "WebSocket" });
        var upstream = voice.OpenAI.RealtimeSocket;
        upstream.AnswerSpeech = false;
        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync("Connected (WebSocket fallback)");

        await upstream.ReplyAsync();
        await Expect(voice.TranscriptLines.Nth(1)).ToContainTextAsync(FakeRealtimeSocket.ReplyTranscript);
        // The relay's controller has recorded both lines before the user hangs up.
        await Await.UntilAsync(async () =>
        {
            await using var scope = voice.App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
            return await db.Items.CountAsync(i => i.Text == FakeRealtimeSocket.UserTranscript || i.Text == FakeRealtimeSocket.ReplyTranscript) == 2;
        }, "both lines in the record", TimeSpan.FromSeconds(30));
        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();

        var page = voice.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = FakeRealtimeSocket.UserTranscript }).ClickAsync();
        var lines = page.GetByRole(AriaRole.Listitem);
        await Expect(lines).ToHaveCountAsync(2);
        await Expect(lines.Nth(0)).ToContainTextAsync("You" + FakeRealtimeSocket.UserTranscript);
        await Expect(lines.Nth(1)).ToContainTextAsync("Assistant" + FakeRealtimeSocket.ReplyTranscript);
        var export = await page.APIRequest.GetAsync(page.Url + "?handler=json");
        Assert.Equal(200, export.Status);
        var record = JsonNode.Parse(await export.TextAsync())!;
        Assert.Equal("websocket", (string?)record["transport"]);
        Assert.NotNull((string?)record["endedAt"]);
    }

    [Theory]
    [InlineData("desktop")]
    [InlineData("phone")]
    public async Task The_usage_page_and_History_pass_WCAG_2_1_AA_and_fit_the_screen_with_records_in_them(string screen)
    {
        var options = screen == "phone"
            ? new BrowserNewContextOptions { ViewportSize = new() { Width = 375, Height = 740 }, DeviceScaleFactor = 2, HasTouch = true, IsMobile = true }
            : new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 800 } };
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, Passcodes.Settings(new() { ["Access:Admins:0"] = Passcodes.Alice }), options);
        // Two users' conversations today (records belong to "user:" + the signed-in name), one with a long name:
        // the table and the chart have something to show, and Alice's History has her line.
        await using (var scope = voice.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
            await db.Database.MigrateAsync();
            var now = DateTime.UtcNow;
            foreach (var (owner, cost) in new[] { ("user:" + Passcodes.Alice, 123_456L), ("user:a-colleague-with-a-rather-long-name@example.com", 2_000_000L) })
                db.Conversations.Add(new Conversation
                {
                    Id = Guid.CreateVersion7(), Owner = owner, CallId = "rtc_" + Guid.NewGuid().ToString("N"), StartedAt = now.AddMinutes(-5), EndedAt = now,
                    Transport = "webrtc", Model = "gpt-realtime", Voice = "marin", CostMicros = cost, TotalTokens = 1000,
                    Items = [new ConversationItem { ItemId = "item_1", Role = ItemRole.User, Text = "Weather in Tokyo?", At = now.AddMinutes(-5) }],
                });
            await db.SaveChangesAsync();
        }
        var page = voice.Page;
        await page.GetByLabel("Passcode").FillAsync(Passcodes.AlicePasscode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(voice.ConnectButton).ToBeVisibleAsync();

        await page.GotoAsync(new Uri(voice.AppUrl, "admin/usage").ToString());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Usage" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "user:a-colleague-with-a-rather-long-name@example.com" })).ToBeVisibleAsync();
        await ExpectNoViolationsAsync(page, $"usage ({screen})");
        await ExpectFitsAsync(page, "usage");

        await page.GotoAsync(new Uri(voice.AppUrl, "history").ToString());
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Weather in Tokyo?" })).ToBeVisibleAsync();
        await ExpectNoViolationsAsync(page, $"history ({screen})");
        await ExpectFitsAsync(page, "history");
    }

    /// <summary>Nothing makes the page scroll sideways (a wide table scrolls inside its own box).</summary>
    private static async Task ExpectFitsAsync(IPage page, string name)
    {
        var (scrollWidth, viewport) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("window.innerWidth"));
        Assert.True(scrollWidth <= viewport, $"The {name} page is {scrollWidth} px wide in a {viewport} px window");
    }

    private static async Task ExpectNoViolationsAsync(IPage page, string state)
    {
        var result = await page.RunAxe(Wcag21AA);
        Assert.True(result.Violations.Length == 0, $"axe found WCAG 2.1 AA violations on the page ({state}):\n" + string.Join("\n",
            result.Violations.Select(violation => $"- {violation.Id} ({violation.Impact}): {violation.Help}\n    " +
                string.Join("\n    ", violation.Nodes.Select(node => node.Html)))));
    }
}
