using System.Collections.Concurrent;
using System.ComponentModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime.Sideband;

/// <summary>
/// A page's report of a function call it saw go unanswered (POST /api/realtime/calls/{id}/unanswered): only
/// the call's owner, from the site's own page, with a tiny body; the call's controller asks OpenAI for the item
/// and runs its tool once, whatever the page claims and however often it reports.
/// </summary>
public sealed class UnansweredToolCallTests
{
    /// <summary>The operator's tool, counting its runs per city: a tool may have effects, so running twice is a fault even when one answer is sent.</summary>
    private static Action<IServiceCollection> Weather(ConcurrentDictionary<string, int> runs) => services =>
        services.AddSingleton(AIFunctionFactory.Create(([Description("City")] string city) =>
        {
            runs.AddOrUpdate(city, 1, (_, count) => count + 1);
            return $"Sunny in {city}";
        }, "get_weather", "Today's weather in a city."));

    private static string FunctionCall(string itemId, string callId, string city) =>
        new JsonObject { ["id"] = itemId, ["type"] = "function_call", ["status"] = "completed", ["call_id"] = callId, ["name"] = "get_weather", ["arguments"] = $$"""{"city":"{{city}}"}""" }.ToJsonString();

    /// <summary>An item in the conversation the controller never acted on, as one that came while no controller heard the call.</summary>
    private static Task AddedUnheardAsync(TestApp app, string itemId, string callId, string city) =>
        app.Fake.Sideband.SendAsync($$"""{"type":"conversation.item.done","previous_item_id":null,"item":{{FunctionCall(itemId, callId, city)}}}""");

    private static JsonElement[] Received(TestApp app, string type) =>
        [.. app.Fake.Sideband.Received.Select(json => JsonDocument.Parse(json).RootElement).Where(e => e.GetProperty("type").GetString() == type)];

    private static string[] Outputs(TestApp app, string callId) =>
        [.. Received(app, "conversation.item.create").Select(e => e.GetProperty("item"))
            .Where(item => item.GetProperty("type").GetString() == "function_call_output" && item.GetProperty("call_id").GetString() == callId)
            .Select(item => item.GetProperty("output").GetString()!)];

    private static async Task<HttpResponseMessage> ReportAsync(HttpClient client, string callPath, string body, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, callPath + "/unanswered") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Sec-Fetch-Site", "cross-site");
        }
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_reported_call_is_asked_of_OpenAI_and_answered_once_and_only_its_owner_may_report_it()
    {
        var runs = new ConcurrentDictionary<string, int>();
        using var app = new TestApp(Passcodes.Settings(), services: Weather(runs));
        using var alice = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        using var bob = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);
        using var call = await alice.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        var callPath = call.Headers.Location!.OriginalString;
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open");
        await AddedUnheardAsync(app, "item_gap", "call_gap", "Paris");

        // Refused: another user, another site, a body past the cap, no item id, an unknown call.
        using (var theirs = await ReportAsync(bob, callPath, """{"itemId":"item_gap"}"""))
            await Problem.AssertAsync(theirs, HttpStatusCode.NotFound, "call_not_found");
        using (var crossSite = await ReportAsync(alice, callPath, """{"itemId":"item_gap"}""", origin: "https://elsewhere.example"))
            await Problem.AssertAsync(crossSite, HttpStatusCode.Forbidden, "cross_origin");
        using (var oversized = await ReportAsync(alice, callPath, $$"""{"itemId":"item_gap","padding":"{{new string('x', 4096)}}"}"""))
            await Problem.AssertAsync(oversized, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        using (var notJson = await ReportAsync(alice, callPath, "item_gap"))
            await Problem.AssertAsync(notJson, HttpStatusCode.BadRequest, "invalid_item_id");
        using (var badId = await ReportAsync(alice, callPath, """{"itemId":"item gap; drop"}"""))
            await Problem.AssertAsync(badId, HttpStatusCode.BadRequest, "invalid_item_id");
        using (var unknown = await ReportAsync(alice, "/api/realtime/calls/rtc_unknown", """{"itemId":"item_gap"}"""))
            await Problem.AssertAsync(unknown, HttpStatusCode.NotFound, "call_not_found");
        Assert.Empty(Received(app, "conversation.item.retrieve"));

        // The owner's report: the controller asks OpenAI for the item and answers it with its own arguments.
        using (var reported = await ReportAsync(alice, callPath, """{"itemId":"item_gap"}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, reported.StatusCode);
            Assert.Equal("no-store", reported.Headers.CacheControl?.ToString());
        }
        await Await.UntilAsync(() => Received(app, "response.create").Length == 1, "the reported call's answer");
        Assert.Equal(["Sunny in Paris"], Outputs(app, "call_gap"));
        Assert.Equal("item_gap", Assert.Single(Received(app, "conversation.item.retrieve")).GetProperty("item_id").GetString());

        // A call answered as usual, then reported anyway (and the first reported again): nothing runs twice.
        var done = FunctionCall("item_done", "call_done", "Oslo");
        await app.Fake.Sideband.SendAsync($$"""{"type":"response.output_item.done","response_id":"resp_1","item":{{done}}}""");
        await app.Fake.Sideband.SendAsync($$$"""{"type":"response.done","response":{"id":"resp_1","status":"completed","output":[{{{done}}}]}}""");
        await Await.UntilAsync(() => Received(app, "response.create").Length == 2, "the usual answer");
        using (var answered = await ReportAsync(alice, callPath, """{"itemId":"item_done"}"""))
            Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        using (var again = await ReportAsync(alice, callPath, """{"itemId":"item_gap"}"""))
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        // The sideband is read in order: once a later report is answered, the retrieved item_done has been handled.
        await AddedUnheardAsync(app, "item_later", "call_later", "Lima");
        using (var later = await ReportAsync(alice, callPath, """{"itemId":"item_later"}"""))
            Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
        await Await.UntilAsync(() => Outputs(app, "call_later").Length == 1, "the later report's answer");
        Assert.Equal(["Sunny in Oslo"], Outputs(app, "call_done"));
        Assert.Equal(["Sunny in Paris"], Outputs(app, "call_gap"));
        Assert.Equal(["item_gap", "item_done", "item_later"], Received(app, "conversation.item.retrieve").Select(e => e.GetProperty("item_id").GetString()));
        Assert.Equal(3, Received(app, "response.create").Length);
        Assert.Equal(new Dictionary<string, int> { ["Paris"] = 1, ["Oslo"] = 1, ["Lima"] = 1 }, runs.ToDictionary());
    }
    [Fact]
    public async Task A_call_reported_while_the_sideband_is_reopening_is_asked_for_once_it_is_open()
    {
        var runs = new ConcurrentDictionary<string, int>();
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" }, services: Weather(runs));
        using var call = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        var callPath = call.Headers.Location!.OriginalString;
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open");
        await AddedUnheardAsync(app, "item_gap", "call_gap", "Paris");

        // The sideband drops and cannot open again for now (as while a survivor is still reopening it).
        app.Fake.Sideband.RefuseWith = StatusCodes.Status503ServiceUnavailable;
        app.Fake.Sideband.Drop();
        await Await.UntilAsync(() => app.Fake.Sideband.Handshakes.Any(h => h.Status == StatusCodes.Status503ServiceUnavailable), "a refused reopening");
        using (var reported = await ReportAsync(app.Client, callPath, """{"itemId":"item_gap"}"""))
            Assert.Equal(HttpStatusCode.Accepted, reported.StatusCode);

        app.Fake.Sideband.RefuseWith = 0;
        await Await.UntilAsync(() => Outputs(app, "call_gap").Length == 1, "the reported call's answer once the sideband is open", TimeSpan.FromSeconds(30));
        Assert.Equal(["Sunny in Paris"], Outputs(app, "call_gap"));
        Assert.Equal(1, runs["Paris"]);
    }
}
