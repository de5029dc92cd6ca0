using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// A page's report of an unanswered function call may reach any instance behind the load balancer: one that
/// does not run the call's controller passes it on through Redis to the one that does (two real app
/// processes, a real Redis), and refuses another user's report as any instance would.
/// </summary>
public sealed class UnansweredToolCallRoutingTests : IAsyncLifetime
{
    private SharedRedisSite site = null!;

    public async Task InitializeAsync() => site = await SharedRedisSite.StartAsync();

    public async Task DisposeAsync() => await site.DisposeAsync();

    private static async Task<HttpResponseMessage> ReportAsync(Instance instance, string callPath, string itemId, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, callPath + "/unanswered")
        {
            Content = new StringContent(new JsonObject { ["itemId"] = itemId }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", instance.Address.GetLeftPart(UriPartial.Authority));
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        if (forwardedFor is not null)
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await instance.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_report_that_reaches_the_other_instance_is_answered_by_the_one_running_the_call()
    {
        var (addressA, addressB) = await site.StartTwoAsync(new Dictionary<string, string>
        {
            // A test client's X-Forwarded-For stands for another user (the identity in Open mode is the client address).
            ["ReverseProxy__KnownProxies__0"] = "127.0.0.1",
            ["Realtime__BuiltInTools__Clock__Enabled"] = "true",
        });
        using var a = new Instance(addressA);
        using var b = new Instance(addressB);
        using var call = await a.StartCallAsync();
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        var callPath = call.Headers.Location!.OriginalString;
        await Await.UntilAsync(() => site.Fake.Sideband.OpenSockets == 1, "instance A's sideband to the call", TimeSpan.FromSeconds(30));
        // A function call in the conversation that no controller acted on.
        await site.Fake.Sideband.SendAsync(new JsonObject
        {
            ["type"] = "conversation.item.done",
            ["item"] = new JsonObject { ["id"] = "item_gap", ["type"] = "function_call", ["status"] = "completed", ["call_id"] = "call_gap", ["name"] = "current_time", ["arguments"] = "{}" },
        }.ToJsonString());
        // B hears of the call's status (and so of its owner) from Redis: until then it knows nothing of it.
        await Await.UntilAsync(async () =>
        {
            using var status = await b.SendAsync(HttpMethod.Get, callPath);
            return status.StatusCode == HttpStatusCode.OK;
        }, "instance B to know the call", TimeSpan.FromSeconds(30));

        using (var stranger = await ReportAsync(b, callPath, "item_gap", forwardedFor: "192.0.2.7"))
            await Problem.AssertAsync(stranger, HttpStatusCode.NotFound, "call_not_found");
        using (var reported = await ReportAsync(b, callPath, "item_gap"))
            Assert.Equal(HttpStatusCode.Accepted, reported.StatusCode);

        await Await.UntilAsync(() => site.Fake.Sideband.Received.Any(json => json.Contains("\"function_call_output\"", StringComparison.Ordinal) && json.Contains("call_gap", StringComparison.Ordinal)),
            "the call's output from instance A", TimeSpan.FromSeconds(30));
        var outputs = site.Fake.Sideband.Received.Select(json => JsonNode.Parse(json)!).Where(e => e["item"]?["call_id"]?.GetValue<string>() == "call_gap").ToList();
        Assert.Equal("function_call_output", Assert.Single(outputs)["item"]!["type"]!.GetValue<string>());
        Assert.Contains(site.Fake.Sideband.Received, json => json.Contains("\"conversation.item.retrieve\"", StringComparison.Ordinal) && json.Contains("item_gap", StringComparison.Ordinal));
        Assert.Contains(site.Apps[0].StandardOutput, line => line.Contains("reported a function call unanswered", StringComparison.Ordinal));
        Assert.DoesNotContain(site.Apps[1].StandardOutput, line => line.Contains("reported a function call unanswered", StringComparison.Ordinal));
    }
}
