using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Realtime.Calls;

namespace RealtimeRazor.Tests.Realtime.Sideband;

/// <summary>
/// Many live calls at once, each with its own sideband to the fake over loopback: every one answers its
/// own tool calls, and once all are hung up nothing of them is left — no controller, no slot, no socket.
/// </summary>
public sealed class SidebandLoadTests
{
    private const int Calls = 128;

    /// <summary>Generous: the machine running CI may be busy with other builds.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Calls_128_at_once_each_answer_their_own_tool_call_and_leave_no_controller_slot_or_socket_behind()
    {
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Open",
            ["Access:MaxSessionsPerUser"] = "1000",
            ["Access:MaxSessions"] = "1000",
            ["Access:RateLimit:SessionsPerWindow"] = "1000",
        }, services: services => services.AddSingleton(AIFunctionFactory.Create(() => "ok", "no_op", "Does nothing.")));
        app.Fake.UniqueCallIds = true;
        app.Fake.Sideband.KeepReceived = false;
        // The server must close every sideband itself, not rely on OpenAI closing it after the hang-up.
        app.Fake.EndsSidebandOnHangUp = false;
        var answered = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        app.Fake.Sideband.OnCallEvent = (callId, json) =>
        {
            using var clientEvent = JsonDocument.Parse(json);
            var root = clientEvent.RootElement;
            if (root.GetProperty("type").GetString() == "conversation.item.create")
                answered[callId] = root.GetProperty("item").GetProperty("call_id").GetString()!;
            return Task.CompletedTask;
        };
        var controllers = app.Factory.Services.GetRequiredService<CallControllers>();

        var callPaths = await Task.WhenAll(Enumerable.Range(0, Calls).Select(async _ =>
        {
            using var response = await app.PostOfferAsync();
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return response.Headers.Location!.OriginalString;
        }));
        var callIds = callPaths.Select(path => path[(path.LastIndexOf('/') + 1)..]).ToList();
        Assert.Equal(Calls, callIds.Distinct().Count());
        await Await.UntilAsync(() => app.Fake.Sideband.OpenCalls.SetEquals(callIds), $"{Calls} sidebands open", Patience);
        Assert.Equal(Calls, controllers.Live);

        // Each call's function call reaches its own controller and is answered on its own socket.
        await Task.WhenAll(callIds.Select(async id =>
        {
            var call = $$"""{"type":"function_call","call_id":"fc_{{id}}","name":"no_op","arguments":"{}"}""";
            await app.Fake.Sideband.SendAsync(id, $$"""{"type":"response.output_item.done","response_id":"resp_{{id}}","item":{{call}}}""");
            await app.Fake.Sideband.SendAsync(id, $$$"""{"type":"response.done","response":{"id":"resp_{{{id}}}","status":"completed","output":[{{{call}}}]}}""");
        }));
        await Await.UntilAsync(() => answered.Count == Calls, $"an answer on each of the {Calls} sidebands", Patience);
        Assert.All(callIds, id => Assert.Equal($"fc_{id}", answered[id]));

        var hangUps = await Task.WhenAll(callPaths.Select(async path =>
        {
            using var response = await app.Client.DeleteAsync(path);
            return response.StatusCode;
        }));
        Assert.All(hangUps, status => Assert.Equal(HttpStatusCode.NoContent, status));

        await Await.UntilAsync(() => controllers.Live == 0 && app.Fake.Sideband.OpenSockets == 0,
            "no controller and no socket left", Patience);
        // No slot either: every call is unknown to the server now.
        var statuses = await Task.WhenAll(callPaths.Select(async path =>
        {
            using var response = await app.Client.GetAsync(path);
            return response.StatusCode;
        }));
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.NotFound, status));
        await Await.UntilAsync(() => app.Fake.AllRequests.Count(entry => entry.RequestMessage?.Path?.EndsWith("/hangup", StringComparison.Ordinal) == true) == Calls,
            $"{Calls} hang-ups at OpenAI", Patience);
    }
}
