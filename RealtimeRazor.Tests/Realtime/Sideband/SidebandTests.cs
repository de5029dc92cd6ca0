using System.ComponentModel;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Realtime.Calls;

namespace RealtimeRazor.Tests.Realtime.Sideband;

/// <summary>
/// The server's half of a live call, against the fake's sideband: the handshake OpenAI documents, the
/// tool loop, keeping the socket while the call lives, and nothing left once it ends.
/// </summary>
public sealed class SidebandTests
{
    private const string CallPath = $"/api/realtime/calls/{FakeOpenAI.CallId}";

    /// <summary>An operator's tools, registered the documented way: AIFunctions in DI.</summary>
    private static void OperatorTools(IServiceCollection services)
    {
        services.AddSingleton(AIFunctionFactory.Create(([Description("City")] string city) => $"Sunny in {city}", "get_weather", "Today's weather in a city."));
        services.AddSingleton(AIFunctionFactory.Create(async (CancellationToken token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return "never";
        }, "slow_lookup", "Never answers in time."));
        services.AddSingleton(AIFunctionFactory.Create(string () => throw new InvalidOperationException("db password is hunter2"), "broken_lookup", "Always throws."));
    }

    private static TestApp App(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:ToolTimeoutSeconds"] = "1" };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return new TestApp(settings, services: OperatorTools);
    }

    private static async Task StartCallAsync(TestApp app)
    {
        using var response = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open");
    }

    private static string FunctionCall(string callId, string name, string arguments) =>
        new JsonObject { ["type"] = "function_call", ["call_id"] = callId, ["name"] = name, ["arguments"] = arguments }.ToJsonString();

    /// <summary>A response that ends in function calls, as OpenAI sends it: each item done, then the response.</summary>
    private static async Task RespondWithCallsAsync(TestApp app, params string[] calls)
    {
        foreach (var call in calls)
            await app.Fake.Sideband.SendAsync($$"""{"type":"response.output_item.done","response_id":"resp_1","item":{{call}}}""");
        await app.Fake.Sideband.SendAsync($$$"""{"type":"response.done","response":{"id":"resp_1","status":"completed","output":[{{{string.Join(",", calls)}}}]}}""");
    }

    private static JsonElement[] Received(TestApp app, string type) =>
        [.. app.Fake.Sideband.Received.Select(json => JsonDocument.Parse(json).RootElement).Where(e => e.GetProperty("type").GetString() == type)];

    private static Dictionary<string, string> Outputs(TestApp app) =>
        Received(app, "conversation.item.create").Select(e => e.GetProperty("item"))
            .Where(item => item.GetProperty("type").GetString() == "function_call_output")
            .ToDictionary(item => item.GetProperty("call_id").GetString()!, item => item.GetProperty("output").GetString()!);

    [Fact]
    public async Task A_relay_call_opens_the_sideband_as_OpenAI_documents_it_and_lists_the_tools_in_its_session()
    {
        using var app = App();
        await StartCallAsync(app);

        var handshake = Assert.Single(app.Fake.Sideband.Handshakes);
        Assert.Equal(new SidebandHandshake("/v1/realtime", FakeOpenAI.CallId, $"Bearer {FakeOpenAI.ApiKey}", 101), handshake);
        var sent = await app.UpstreamRequestsAsync("/realtime/calls");
        var fields = await Multipart.ReadFieldsAsync(sent[0].RequestMessage!.Headers!["Content-Type"].First(), sent[0].RequestMessage!.Body!);
        var tools = JsonNode.Parse(fields["session"])!["tools"]!.AsArray();
        Assert.Equal(["broken_lookup", "get_weather", "slow_lookup"], tools.Select(tool => (string)tool!["name"]!).Order());
        var weather = tools.Single(tool => (string)tool!["name"]! == "get_weather")!;
        Assert.Equal("function", (string?)weather["type"]);
        Assert.Equal("string", (string?)weather["parameters"]!["properties"]!["city"]!["type"]);
    }

    [Fact]
    public async Task Every_function_call_of_a_response_is_answered_then_one_response_create_follows()
    {
        using var app = App();
        await StartCallAsync(app);

        await RespondWithCallsAsync(app,
            FunctionCall("call_1", "get_weather", """{"city":"Tokyo"}"""),
            FunctionCall("call_2", "get_weather", """{"city":"Oslo"}"""));

        await Await.UntilAsync(() => Received(app, "response.create").Length == 1, "response.create after the outputs");
        Assert.Equal(new Dictionary<string, string> { ["call_1"] = "Sunny in Tokyo", ["call_2"] = "Sunny in Oslo" }, Outputs(app));
        // response.create comes after both outputs, and nothing is answered twice.
        var types = app.Fake.Sideband.Received.Select(json => JsonNode.Parse(json)!["type"]!.GetValue<string>()).ToList();
        Assert.Equal(["conversation.item.create", "conversation.item.create", "response.create"], types);
    }

    [Fact]
    public async Task A_tool_that_times_out_throws_or_gets_bad_arguments_answers_a_short_error_and_the_call_goes_on()
    {
        using var app = App();
        await StartCallAsync(app);

        await RespondWithCallsAsync(app,
            FunctionCall("call_slow", "slow_lookup", "{}"),
            FunctionCall("call_broken", "broken_lookup", "{}"),
            FunctionCall("call_bad", "get_weather", "{not json"),
            FunctionCall("call_unknown", "rm_rf", "{}"));

        await Await.UntilAsync(() => Received(app, "response.create").Length == 1, "response.create after the outputs", TimeSpan.FromSeconds(15));
        var outputs = Outputs(app);
        Assert.Equal("""{"error":"The tool slow_lookup did not finish within 1 seconds."}""", outputs["call_slow"]);
        Assert.Equal("""{"error":"The tool broken_lookup failed."}""", outputs["call_broken"]);
        Assert.Equal("""{"error":"The arguments were not a JSON object."}""", outputs["call_bad"]);
        Assert.Equal("""{"error":"There is no tool named rm_rf."}""", outputs["call_unknown"]);
        Assert.DoesNotContain(app.Fake.Sideband.Received, json => json.Contains("hunter2") || json.Contains("   at "));
        // The call is still up, and the next function call is answered.
        await RespondWithCallsAsync(app, FunctionCall("call_next", "get_weather", """{"city":"Lima"}"""));
        await Await.UntilAsync(() => Outputs(app).ContainsKey("call_next"), "the next call's output");
        Assert.Empty(app.Fake.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup"));
    }

    [Fact]
    public async Task A_dropped_sideband_is_reopened_while_the_call_lives_and_answers_again()
    {
        using var app = App();
        await StartCallAsync(app);

        app.Fake.Sideband.Drop();

        await Await.UntilAsync(() => app.Fake.Sideband.Handshakes.Count == 2 && app.Fake.Sideband.OpenSockets == 1, "the sideband to reopen");
        await RespondWithCallsAsync(app, FunctionCall("call_1", "get_weather", """{"city":"Tokyo"}"""));
        await Await.UntilAsync(() => Outputs(app).ContainsKey("call_1"), "an answer over the reopened sideband");
        Assert.Empty(app.Fake.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup"));
    }

    [Fact]
    public async Task A_sideband_that_cannot_open_shows_as_unavailable_keeps_trying_and_never_ends_the_call()
    {
        using var app = App();
        app.Fake.Sideband.RefuseWith = 503;
        using var response = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        await Await.UntilAsync(() => app.Fake.Sideband.Handshakes.Count >= 2, "a second attempt");
        Assert.Equal("unavailable", await SidebandStatusAsync(app));
        Assert.Empty(app.Fake.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup"));

        app.Fake.Sideband.RefuseWith = 0;
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open once OpenAI lets it", TimeSpan.FromSeconds(20));
        Assert.Equal("open", await SidebandStatusAsync(app));
    }

    [Fact]
    public async Task Hanging_up_closes_the_controller_and_its_socket()
    {
        using var app = App();
        await StartCallAsync(app);
        var controllers = app.Factory.Services.GetRequiredService<CallControllers>();
        Assert.Equal(1, controllers.Live);

        using var hangUp = await app.Client.DeleteAsync(CallPath);

        Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);
        await Await.UntilAsync(() => controllers.Live == 0 && app.Fake.Sideband.OpenSockets == 0, "no controller and no socket left", TimeSpan.FromSeconds(30));
        using var status = await app.Client.GetAsync(CallPath);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Fact]
    public async Task OpenAI_closing_the_sideband_ends_the_call_here_too()
    {
        using var app = App(new() { ["Access:MaxSessionsPerUser"] = "1" });
        await StartCallAsync(app);
        var controllers = app.Factory.Services.GetRequiredService<CallControllers>();

        // As when the user's browser drops and OpenAI ends the call: a clean close.
        app.Fake.Sideband.End(FakeOpenAI.CallId);

        await Await.UntilAsync(() => controllers.Live == 0, "the controller to close");
        using var status = await app.Client.GetAsync(CallPath);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        // Its slot is free again: a new call is not refused by the per-user cap.
        using var next = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
    }

    [Fact]
    public async Task A_direct_call_gets_the_same_controller_once_the_page_reports_it()
    {
        using var app = App(new() { ["Realtime:Negotiation"] = "Direct" });
        using var mint = await app.Client.PostAsync("/api/realtime/client-secret", null);
        var slot = JsonDocument.Parse(await mint.Content.ReadAsStringAsync()).RootElement.GetProperty("slot").GetString();
        var secretRequest = await app.UpstreamRequestsAsync("/realtime/client_secrets");
        var tools = JsonNode.Parse(secretRequest[0].RequestMessage!.Body!)!["session"]!["tools"]!.AsArray();
        Assert.Equal(3, tools.Count);
        Assert.Empty(app.Fake.Sideband.Handshakes);

        using var report = await app.Client.PutAsync($"{CallPath}?slot={Uri.EscapeDataString(slot!)}", null);

        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open");
        await RespondWithCallsAsync(app, FunctionCall("call_1", "get_weather", """{"city":"Tokyo"}"""));
        await Await.UntilAsync(() => Outputs(app).ContainsKey("call_1"), "the tool's answer");
    }

    [Fact]
    public async Task A_preset_lists_only_its_own_tools()
    {
        using var app = App(new() { ["Realtime:Presets:0:Name"] = "weather", ["Realtime:Presets:0:Tools:0"] = "get_weather" });
        using var response = await app.Client.PostAsync("/api/realtime/calls?preset=weather", TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open");

        var sent = await app.UpstreamRequestsAsync("/realtime/calls");
        var fields = await Multipart.ReadFieldsAsync(sent[0].RequestMessage!.Headers!["Content-Type"].First(), sent[0].RequestMessage!.Body!);
        Assert.Equal(["get_weather"], JsonNode.Parse(fields["session"])!["tools"]!.AsArray().Select(tool => (string)tool!["name"]!));
        // A tool the preset does not list is not run, even if the model names it.
        await RespondWithCallsAsync(app, FunctionCall("call_1", "broken_lookup", "{}"));
        await Await.UntilAsync(() => Outputs(app).ContainsKey("call_1"), "an answer");
        Assert.Equal("""{"error":"There is no tool named broken_lookup."}""", Outputs(app)["call_1"]);
    }

    [Fact]
    public async Task The_end_call_tool_hangs_up_once_the_farewell_has_played()
    {
        using var app = App(new() { ["Realtime:BuiltInTools:EndCall:Enabled"] = "true", ["Realtime:BuiltInTools:EndCall:GraceSeconds"] = "30" });
        await StartCallAsync(app);
        var hangUp = $"/realtime/calls/{FakeOpenAI.CallId}/hangup";

        await RespondWithCallsAsync(app, FunctionCall("call_bye", "end_call", "{}"));
        await Await.UntilAsync(() => Received(app, "response.create").Length == 1, "the farewell to be asked for");
        Assert.Equal("The call will end after your farewell.", Outputs(app)["call_bye"]);
        // The farewell is generated, but still playing: the call stays up.
        await app.Fake.Sideband.SendAsync("""{"type":"response.done","response":{"id":"resp_2","status":"completed","output":[{"type":"message","role":"assistant","content":[]}]}}""");
        await Task.Delay(500);
        Assert.Empty(app.Fake.Arrivals(hangUp));

        await app.Fake.Sideband.SendAsync("""{"type":"output_audio_buffer.stopped","response_id":"resp_2"}""");

        await Await.UntilAsync(() => app.Fake.Arrivals(hangUp).Count == 1, "the hang-up once the farewell has played");
        var controllers = app.Factory.Services.GetRequiredService<CallControllers>();
        await Await.UntilAsync(() => controllers.Live == 0 && app.Fake.Sideband.OpenSockets == 0, "no controller and no socket left", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_end_call_tool_hangs_up_after_the_grace_when_no_end_of_playback_is_reported()
    {
        using var app = App(new() { ["Realtime:BuiltInTools:EndCall:Enabled"] = "true", ["Realtime:BuiltInTools:EndCall:GraceSeconds"] = "0.5" });
        await StartCallAsync(app);

        await RespondWithCallsAsync(app, FunctionCall("call_bye", "end_call", "{}"));
        await Await.UntilAsync(() => Received(app, "response.create").Length == 1, "the farewell to be asked for");
        await app.Fake.Sideband.SendAsync("""{"type":"response.done","response":{"id":"resp_2","status":"completed","output":[]}}""");

        await Await.UntilAsync(() => app.Fake.Arrivals($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 1, "the hang-up after the grace");
    }

    [Fact]
    public async Task Tool_arguments_results_and_exception_messages_stay_out_of_the_log()
    {
        var logs = new LogCapture();
        using var fake = new FakeOpenAI();
        using var factory = new AppFactory(fake, new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:ToolTimeoutSeconds"] = "1" }, logs: logs, services: OperatorTools);
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Await.UntilAsync(() => fake.Sideband.OpenSockets == 1, "the sideband to open");

        var calls = string.Join(",", FunctionCall("call_1", "get_weather", """{"city":"Zanzibar-Secret"}"""), FunctionCall("call_2", "broken_lookup", "{}"));
        await fake.Sideband.SendAsync("""{"type":"response.done","response":{"id":"resp_1","status":"completed","output":[""" + calls + "]}}");
        await Await.UntilAsync(() => fake.Sideband.Received.Count(e => e.Contains("response.create")) == 1, "the answers");

        Assert.Contains(logs.Lines, line => line.Contains("get_weather") && line.Contains(" ran in "));
        Assert.Contains(logs.Lines, line => line.Contains("broken_lookup") && line.Contains("InvalidOperationException"));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("Zanzibar-Secret") || line.Contains("hunter2"));
    }

    private static async Task<string?> SidebandStatusAsync(TestApp app)
    {
        using var response = await app.Client.GetAsync(CallPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("sideband").GetString();
    }
}
