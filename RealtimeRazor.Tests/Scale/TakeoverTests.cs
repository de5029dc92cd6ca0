using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using RealtimeRazor.Tests.Browser;
using RealtimeRazor.Tests.Browser.Tracing;
using RealtimeRazor.Tests.Records;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Records;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// An instance killed mid-call: two real app processes sharing a real Redis and records on a real
/// PostgreSQL, a real Chromium talking to the fake OpenAI's WebRTC peer. The page's call was started on
/// instance A; A is killed (SIGKILL, as a crash or a lost machine); instance B takes the call over,
/// reopens its sideband, answers the model's next function call, keeps recording into the same
/// conversation, and hangs the call up at its maximum length.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TakeoverTests(BrowserFixture browser, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private SharedRedisSite site = null!;
    private PostgresServer postgres = null!;

    public async Task InitializeAsync()
    {
        site = await SharedRedisSite.StartAsync();
        postgres = await PostgresServer.StartNewAsync();
    }

    public async Task DisposeAsync()
    {
        try
        {
            await site.DisposeAsync();
        }
        finally
        {
            await postgres.DisposeAsync();
        }
    }

    public static TheoryData<string> Modes => new() { "Relay", "Direct" };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_call_whose_instance_is_killed_is_taken_over_tools_answered_recorded_and_hung_up_at_its_maximum_length(string mode)
    {
        var records = await postgres.CreateDatabaseAsync();
        var (a, b) = await site.StartTwoAsync(new Dictionary<string, string>
        {
            ["Realtime__Negotiation"] = mode,
            // Long enough for every step before the hang-up on a loaded machine.
            ["Realtime__MaxSessionMinutes"] = "2",
            ["Realtime__BuiltInTools__Clock__Enabled"] = "true",
            ["Records__Enabled"] = "true",
            ["Records__Provider"] = "PostgreSQL",
            ["ConnectionStrings__Records"] = records,
        });

        await using var peerContext = await TracedContext.OpenAsync(browser.Browser, "peer");
        var peer = await peerContext.Context.NewPageAsync();
        await peer.ExposeFunctionAsync<string, Task>("toSideband", site.Fake.Sideband.SendAsync);
        site.Fake.Sideband.OnClientEvent = json => peer.EvaluateAsync("json => window.fakeOpenAI.fromSideband(json)", json);
        await peer.GotoAsync(site.Fake.ServePeerPage());
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI !== undefined");
        site.Fake.AnswerCallsWith(offer => peer.EvaluateAsync<string>("([sdp, dcid]) => window.fakeOpenAI.answer(sdp, dcid)", new object?[] { offer.Sdp, offer.DataChannelId }));
        Task SendAsync(params object[] events) => peer.EvaluateAsync("events => window.fakeOpenAI.send(events)", events);

        await using var userContext = await TracedContext.OpenAsync(browser.Browser, "user", new BrowserNewContextOptions { Locale = "en-US" });
        var page = await userContext.Context.NewPageAsync();
        await page.GotoAsync(a.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Connected");
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI.channelState() === 'open'");
        var lines = page.GetByRole(AriaRole.Log, new() { Name = "Transcript" }).GetByRole(AriaRole.Listitem);

        await Await.UntilAsync(() => site.Fake.Sideband.OpenSockets == 1, "instance A's sideband to the call", TimeSpan.FromSeconds(30));
        var callId = Assert.Single(site.Fake.Sideband.OpenCalls);
        await SendAsync(new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_before", type = "message", role = "user", content = new[] { new { type = "input_text", text = "What time is it?" } } } });
        await Expect(lines).ToHaveTextAsync(new[] { "YouWhat time is it?" });
        await RecordedAsync(records, callId, c => c.Items.Any(i => i.ItemId == "item_before"), "instance A to record the line before the kill");

        // Killed, as a crash or a lost machine ends it: nothing of it says goodbye.
        var starter = site.Apps[0];
        site.Apps.Remove(starter);
        starter.Dispose();
        var survivor = Assert.Single(site.Apps);

        // B reopens the call's sideband with the server key: the fake sees a second handshake for the call, from B.
        // (On a loaded machine A may have stalled past its lease before the kill, and B taken the call over already.)
        await Await.UntilAsync(() => site.Fake.Sideband.Handshakes.Count(h => h.CallId == callId && h.Status == 101) >= 2 && site.Fake.Sideband.OpenSockets == 1
            && survivor.StandardOutput.Any(line => line.Contains($"Sideband of call {callId} open", StringComparison.Ordinal)),
            "instance B to reopen the sideband", TimeSpan.FromSeconds(30));
        Assert.All(site.Fake.Sideband.Handshakes, h => Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", h.Authorization));
        await Await.UntilAsync(() => survivor.StandardOutput.Any(line => line.Contains($"Took over call {callId}", StringComparison.Ordinal)), $"B to log the takeover; so far:\n{survivor.Output}");

        // The model calls a function: B's controller runs the tool and answers it; the user sees the result.
        var done = new { id = "item_fc", type = "function_call", status = "completed", call_id = "call_1", name = "current_time", arguments = "{}" };
        await SendAsync(
            new { type = "conversation.item.added", previous_item_id = "item_before", item = new { id = "item_fc", type = "function_call", status = "in_progress", call_id = "call_1", name = "current_time", arguments = "" } },
            new { type = "response.function_call_arguments.done", item_id = "item_fc", call_id = "call_1", arguments = "{}" },
            new { type = "response.output_item.done", response_id = "resp_1", item = done },
            new { type = "response.done", response = new { id = "resp_1", status = "completed", output = new[] { done } } });
        var toolLine = lines.Filter(new() { HasText = "current_time" });
        await Expect(toolLine).ToContainTextAsync("current_time {} → ");
        await Expect(toolLine).ToContainTextAsync(DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain("failed", await toolLine.TextContentAsync() ?? "", StringComparison.Ordinal);
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI.received().some(e => e.type === 'response.create')", null, new() { Timeout = BrowserFixture.Patience });

        // The conversation goes on.
        await SendAsync(
            new { type = "conversation.item.added", previous_item_id = "item_fc", item = new { id = "item_after", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "response.output_audio_transcript.done", item_id = "item_after", transcript = "It is a quarter past five." });
        await Expect(lines.Filter(new() { HasText = "It is a quarter past five." })).ToBeVisibleAsync();
        Assert.Equal(3, await lines.CountAsync());

        // The survivor hangs the call up at its maximum length, and its record ends.
        await Await.UntilAsync(() => site.Fake.Arrivals($"/realtime/calls/{callId}/hangup").Count == 1,
            "the survivor to hang the call up at its maximum length", TimeSpan.FromSeconds(160));
        var conversation = await RecordedAsync(records, callId, c => c.EndedAt is not null && c.Items.Count == 3, "the record to hold both instances' lines and its end");
        Assert.Equal(
            ["User: What time is it?", "Tool current_time {} -> ok", "Assistant: It is a quarter past five."],
            conversation.Items.Select(item => item.Role == ItemRole.Tool
                ? $"Tool {item.ToolName} {item.ToolArguments} -> {(item.ToolFailed || string.IsNullOrEmpty(item.ToolResult) ? "failed" : "ok")}"
                : RecordsApp.Line(item)));
    }

    /// <summary>
    /// The gap between the kill and the takeover: a function call OpenAI sends then reaches no instance (the
    /// fake refuses every sideband handshake meanwhile, so none can hear it, however quick the takeover). The
    /// page sees it go unanswered and reports it through nginx, which sends it to the survivor; the survivor
    /// asks OpenAI for the item and answers it, and the user sees the tool's result.
    /// </summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_function_call_that_comes_while_no_instance_hears_the_call_is_answered_once_a_survivor_runs_it(string mode)
    {
        var (a, b) = await site.StartTwoAsync(new Dictionary<string, string>
        {
            ["Realtime__Negotiation"] = mode,
            ["Realtime__BuiltInTools__Clock__Enabled"] = "true",
        });
        using var nginx = await NginxProxy.StartAsync(a, b);

        await using var peerContext = await TracedContext.OpenAsync(browser.Browser, "peer");
        var peer = await peerContext.Context.NewPageAsync();
        // Which sidebands had opened for the call when the gap's events were handed to the fake sideband.
        var openedWhenSent = new System.Collections.Concurrent.ConcurrentQueue<int>();
        await peer.ExposeFunctionAsync<string, Task>("toSideband", async json =>
        {
            await site.Fake.Sideband.SendAsync(json);
            if (json.Contains("item_gap", StringComparison.Ordinal))
                openedWhenSent.Enqueue(site.Fake.Sideband.Handshakes.Count(h => h.Status == 101));
        });
        site.Fake.Sideband.OnClientEvent = json => peer.EvaluateAsync("json => window.fakeOpenAI.fromSideband(json)", json);
        await peer.GotoAsync(site.Fake.ServePeerPage());
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI !== undefined");
        site.Fake.AnswerCallsWith(offer => peer.EvaluateAsync<string>("([sdp, dcid]) => window.fakeOpenAI.answer(sdp, dcid)", new object?[] { offer.Sdp, offer.DataChannelId }));
        Task SendAsync(params object[] events) => peer.EvaluateAsync("events => window.fakeOpenAI.send(events)", events);

        await using var userContext = await TracedContext.OpenAsync(browser.Browser, "user", new BrowserNewContextOptions { Locale = "en-US", IgnoreHTTPSErrors = true });
        var page = await userContext.Context.NewPageAsync();
        await page.GotoAsync(nginx.Url.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Connected", new() { Timeout = BrowserFixture.Patience });
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI.channelState() === 'open'");
        var lines = page.GetByRole(AriaRole.Log, new() { Name = "Transcript" }).GetByRole(AriaRole.Listitem);
        await Await.UntilAsync(() => site.Fake.Sideband.OpenSockets == 1, "the sideband to the call", TimeSpan.FromSeconds(30));
        var callId = Assert.Single(site.Fake.Sideband.OpenCalls);
        await SendAsync(new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_before", type = "message", role = "user", content = new[] { new { type = "input_text", text = "What time is it?" } } } });
        await Expect(lines).ToHaveTextAsync(new[] { "YouWhat time is it?" });

        // The instance running the call's controller is killed; until the gap's events are sent, no instance can reopen the sideband.
        bool RunsTheCall(AppProcess app) => app.StandardOutput.Any(line => line.Contains($"Sideband of call {callId} open", StringComparison.Ordinal));
        await Await.UntilAsync(() => site.Apps.Any(RunsTheCall), "the instance running the call to log its sideband");
        var running = Assert.Single(site.Apps, RunsTheCall);
        site.Fake.Sideband.RefuseWith = StatusCodes.Status503ServiceUnavailable;
        site.Apps.Remove(running);
        running.Dispose();
        var survivor = Assert.Single(site.Apps);
        await Await.UntilAsync(() => site.Fake.Sideband.OpenSockets == 0, "the killed instance's sideband to drop", TimeSpan.FromSeconds(30));

        // The model calls a function in the gap: the page sees it, no instance does.
        var gap = System.Diagnostics.Stopwatch.StartNew();
        var done = new { id = "item_gap", type = "function_call", status = "completed", call_id = "call_gap", name = "current_time", arguments = "{}" };
        await SendAsync(
            new { type = "conversation.item.added", previous_item_id = "item_before", item = new { id = "item_gap", type = "function_call", status = "in_progress", call_id = "call_gap", name = "current_time", arguments = "" } },
            new { type = "response.function_call_arguments.done", item_id = "item_gap", call_id = "call_gap", arguments = "{}" },
            new { type = "response.output_item.done", response_id = "resp_gap", item = done },
            new { type = "response.done", response = new { id = "resp_gap", status = "completed", output = new[] { done } } });
        await Await.UntilAsync(() => openedWhenSent.Count == 4, "the gap's events at the fake sideband");
        Assert.All(openedWhenSent, opened => Assert.Equal(1, opened));
        site.Fake.Sideband.RefuseWith = 0;
        var toolLine = lines.Filter(new() { HasText = "current_time" });
        await Expect(toolLine).ToContainTextAsync("current_time {}");

        // The survivor takes the call over; the page's report reaches it; it runs the tool and the user sees the result.
        await Await.UntilAsync(() => survivor.StandardOutput.Any(line => line.Contains($"Took over call {callId}", StringComparison.Ordinal)), $"the survivor to take the call over; so far:\n{survivor.Output}", TimeSpan.FromSeconds(30));
        await Expect(toolLine).ToContainTextAsync("current_time {} → ", new() { Timeout = BrowserFixture.Patience });
        output.WriteLine($"{mode}: the gap's function call answered on the page {gap.Elapsed.TotalSeconds:F1} s after it was made");
        await Expect(toolLine).ToContainTextAsync(DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI.received().some(e => e.type === 'response.create')", null, new() { Timeout = BrowserFixture.Patience });
        var outputs = site.Fake.Sideband.Received.Select(json => System.Text.Json.Nodes.JsonNode.Parse(json)!)
            .Where(e => e["type"]?.GetValue<string>() == "conversation.item.create" && e["item"]?["call_id"]?.GetValue<string>() == "call_gap").ToList();
        Assert.Single(outputs);
        Assert.Equal("function_call_output", outputs[0]["item"]!["type"]!.GetValue<string>());
        Assert.Contains(site.Fake.Sideband.Received, json => json.Contains("\"conversation.item.retrieve\"", StringComparison.Ordinal) && json.Contains("item_gap", StringComparison.Ordinal));
        Assert.Equal(2, await lines.CountAsync()); // the user's line and the tool's line
    }

    [Fact]
    public async Task A_call_whose_instance_stops_normally_is_taken_over_and_its_record_goes_on_to_its_real_end()
    {
        var records = await postgres.CreateDatabaseAsync();
        var (a, b) = await site.StartTwoAsync(new Dictionary<string, string>
        {
            ["Records__Enabled"] = "true",
            ["Records__Provider"] = "PostgreSQL",
            ["ConnectionStrings__Records"] = records,
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var created = await SendAsync(http, a, HttpMethod.Post, "api/realtime/calls");
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.OriginalString;
        var callId = location[(location.LastIndexOf('/') + 1)..];
        await Await.UntilAsync(() => site.Fake.Sideband.OpenSockets == 1, "instance A's sideband to the call", TimeSpan.FromSeconds(30));
        await site.Fake.Sideband.SendAsync(RecordsApp.Added("item_before", null, "user", "input_text", "Before the stop"));
        await RecordedAsync(records, callId, c => c.Items.Count == 1, "instance A to record the line before its stop");

        // A deploy stops instance A (SIGTERM): it ends its records as it stops, and the call goes on at OpenAI.
        var stopping = site.Apps[0];
        using (var term = System.Diagnostics.Process.Start("kill", ["-TERM", stopping.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync();
        Assert.True(await stopping.ExitedWithinAsync(TimeSpan.FromSeconds(60)), $"A did not stop:\n{stopping.Output}");
        Assert.Equal("server_stopped", (await RecordedAsync(records, callId, c => c.EndedAt is not null, "A's stop to end the record")).EndReason);
        await Await.UntilAsync(() => site.Fake.Sideband.Handshakes.Count(h => h.CallId == callId && h.Status == 101) == 2 && site.Fake.Sideband.OpenSockets == 1,
            "instance B to reopen the sideband", TimeSpan.FromSeconds(30));

        await site.Fake.Sideband.SendAsync(RecordsApp.Added("item_after", "item_before", "assistant", "output_text", "After the stop"));
        await RecordedAsync(records, callId, c => c.Items.Count == 2, "instance B to record the line after A's stop");
        using var hungUp = await SendAsync(http, b, HttpMethod.Delete, location);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, hungUp.StatusCode);

        var conversation = await RecordedAsync(records, callId, c => c.EndedAt is not null, "the record to end with the call");
        Assert.Equal(["User: Before the stop", "Assistant: After the stop"], conversation.Items.Select(RecordsApp.Line));
        Assert.Equal("ended", conversation.EndReason);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri instance, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, new Uri(instance, path));
        if (method == HttpMethod.Post)
            request.Content = TestApp.Sdp(TestData.Offer);
        request.Headers.Add("Origin", instance.GetLeftPart(UriPartial.Authority));
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        return await http.SendAsync(request);
    }

    /// <summary>The record as PostgreSQL holds it, read as the app reads it.</summary>
    private async Task<Conversation> RecordedAsync(string connection, string callId, Func<Conversation, bool> done, string what)
    {
        try
        {
            return await RecordsApp.RecordedInPostgresAsync(connection, callId, done, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; the instances said:\n{string.Join("\n----\n", site.Apps.Select(app => app.Output))}", ex);
        }
    }

    /// <summary>Two instances with the same settings, the same Redis and the same records database; nothing else shared.</summary>
}
