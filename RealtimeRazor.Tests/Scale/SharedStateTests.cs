using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Scale;
using StackExchange.Redis;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// What instances share in Redis beyond the session slots: the budgets' spending (two real app processes,
/// a usage report on one's sideband refuses the next session on the other) and a call's status (answered by
/// the instance that does not run the call's controller).
/// </summary>
public sealed class SharedStateTests : IAsyncLifetime
{
    private SharedRedisSite site = null!;

    public async Task InitializeAsync() => site = await SharedRedisSite.StartAsync();

    public async Task DisposeAsync() => await site.DisposeAsync();

    /// <summary>1,000 audio output tokens: 0.064 US dollars at gpt-realtime's 64 per million.</summary>
    private static string ReplyDone(string id) => JsonSerializer.Serialize(new
    {
        type = "response.done",
        response = new
        {
            id,
            status = "completed",
            output = Array.Empty<object>(),
            usage = new { total_tokens = 1000, input_tokens = 0, output_tokens = 1000, output_token_details = new { text_tokens = 0, audio_tokens = 1000 } },
        },
    });

    private static string SpentKey(string what) => $"realtime-razor:spent:{DateTime.UtcNow:yyyy-MM-dd}:{what}";

    [Fact]
    public async Task A_budget_spent_through_one_instance_refuses_the_next_session_on_the_other()
    {
        var (a, b) = await StartTwoAsync(new() { ["Access__Budget__PerUserDailyUsd"] = "0.05" });
        using (a)
        using (b)
        {
            using var call = await a.StartCallAsync();
            Assert.Equal(HttpStatusCode.Created, call.StatusCode);
            await Await.UntilAsync(() => site.Fake.Sideband.OpenSockets == 1, "instance A's sideband to the call", TimeSpan.FromSeconds(30));

            // OpenAI reports the reply's usage on A's sideband: A counts it, and finds the user's budget spent.
            await site.Fake.Sideband.SendAsync(ReplyDone("resp_1"));
            await Await.UntilAsync(async () =>
            {
                using var status = await a.SendAsync(HttpMethod.Get, call.Headers.Location!.OriginalString);
                return status.StatusCode == HttpStatusCode.OK
                    && JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.GetProperty("budgetSpent").GetBoolean();
            }, "instance A to find the budget spent", TimeSpan.FromSeconds(30));

            using var refused = await b.StartCallAsync();

            var problem = await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "budget_spent");
            Assert.Equal(0.05m, problem.GetProperty("budgetUsd").GetDecimal());
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Single(site.Fake.Arrivals("/realtime/calls"));
            // Kept in Redis, so a restart of every instance forgets nothing of today.
            Assert.True(await site.Redis.ExistsAsync(SpentKey("total")));
        }
    }

    [Fact]
    public async Task A_calls_status_is_answered_by_the_instance_that_does_not_run_it()
    {
        var (a, b) = await StartTwoAsync();
        using (a)
        using (b)
        {
            using var call = await a.StartCallAsync();
            Assert.Equal(HttpStatusCode.Created, call.StatusCode);
            var location = call.Headers.Location!.OriginalString;
            await Await.UntilAsync(() => site.Fake.Sideband.OpenSockets == 1, "instance A's sideband to the call", TimeSpan.FromSeconds(30));
            await site.Fake.Sideband.SendAsync(ReplyDone("resp_1"));

            // A publishes what its controller knows at most a second later; B answers with it.
            JsonElement status = default;
            await Await.UntilAsync(async () =>
            {
                using var response = await b.SendAsync(HttpMethod.Get, location);
                if (response.StatusCode != HttpStatusCode.OK)
                    return false;
                status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                return status.GetProperty("usage").GetProperty("total").GetInt64() == 1000;
            }, "instance B to report the call's usage counted on A", TimeSpan.FromSeconds(30));

            Assert.Equal("open", status.GetProperty("sideband").GetString());
            Assert.Equal(1000, status.GetProperty("usage").GetProperty("output").GetInt64());
            Assert.Equal(0.064m, status.GetProperty("costUsd").GetDecimal());
            Assert.False(status.GetProperty("budgetSpent").GetBoolean());

            // Another user (another client address is another identity in Open mode) is told nothing.
            using (var stranger = await b.SendAsync(HttpMethod.Get, location, forwardedFor: "192.0.2.7"))
                await Problem.AssertAsync(stranger, HttpStatusCode.NotFound, "call_not_found");

            using (var ended = await b.SendAsync(HttpMethod.Delete, location))
                Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
            using var gone = await b.SendAsync(HttpMethod.Get, location);
            await Problem.AssertAsync(gone, HttpStatusCode.NotFound, "call_not_found");
        }
    }

    [Fact]
    public async Task The_Redis_ledger_is_one_ledger_for_every_instance_forgets_at_midnight_and_refuses_when_Redis_is_down()
    {
        var clock = new ManualClock();
        var now = clock.GetUtcNow();
        clock.Advance(now.Date.AddDays(1).AddHours(-1) - now.UtcDateTime);
        var access = Options.Create(new AccessOptions { Budget = new() { PerUserDailyUsd = 1.00m, TotalDailyUsd = 1.50m } });
        var connection = new RedisOptions { Configuration = site.Redis.Configuration }.Connection();
        await using var first = await ConnectionMultiplexer.ConnectAsync(connection);
        await using var second = await ConnectionMultiplexer.ConnectAsync(connection);
        var one = new RedisSpendingLedger(first, clock, access, NullLogger<RedisSpendingLedger>.Instance);
        var other = new RedisSpendingLedger(second, clock, access, NullLogger<RedisSpendingLedger>.Instance);

        Assert.False(one.Add("user:alice", 0.60m));
        Assert.Null(await other.CheckAsync("user:alice"));
        Assert.True(other.Add("user:alice", 0.40m));

        var refusal = await one.CheckAsync("user:alice");
        Assert.Equal(ProblemCode.BudgetSpent, refusal?.Code);
        Assert.Equal(3600, refusal!.Values[Refusal.RetryAfterValue]);
        Assert.Null(await one.CheckAsync("user:bob"));
        Assert.True(one.Add("user:bob", 0.50m));
        Assert.Equal(ProblemCode.SiteBudgetSpent, (await other.CheckAsync("user:carol"))?.Code);

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(await other.CheckAsync("user:alice"));

        await site.Redis.StopAsync();
        // Never allowed uncounted: the check fails, which the app answers with shared_state_unavailable.
        await Assert.ThrowsAnyAsync<RedisException>(() => one.CheckAsync("user:alice"));
        // A live call's count is lost, not its call.
        Assert.False(one.Add("user:alice", 0.10m));
    }

    /// <summary>Two instances with the same settings and the same Redis, as two machines behind a load balancer.</summary>
    private async Task<(Instance A, Instance B)> StartTwoAsync(Dictionary<string, string>? extra = null)
    {
        // A test client's X-Forwarded-For stands for another user (the identity in Open mode is the client address).
        var settings = new Dictionary<string, string> { ["ReverseProxy__KnownProxies__0"] = "127.0.0.1" };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        var (a, b) = await site.StartTwoAsync(settings);
        return (new Instance(a), new Instance(b));
    }
}
