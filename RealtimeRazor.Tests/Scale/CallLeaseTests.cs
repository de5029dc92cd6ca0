using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Records;
using RealtimeRazor.Web.Scale;
using StackExchange.Redis;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// The call leases on a real Redis, as several instances use them at once: each instance is a
/// <see cref="RedisCallLeases"/> of its own (its own id) on its own connection.
/// </summary>
public sealed class CallLeaseTests : IAsyncLifetime
{
    private const string Prefix = ScaleExtensions.KeyPrefix;

    private RedisServer redis = null!;
    private readonly List<ConnectionMultiplexer> connections = [];

    public async Task InitializeAsync() => redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var connection in connections)
            await connection.DisposeAsync();
        await redis.DisposeAsync();
    }

    private async Task<RedisCallLeases> InstanceAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        connections.Add(connection);
        var recorder = new CallRecorder(Options.Create(new RecordsOptions { Enabled = false }), Options.Create(new RealtimeOptions()), TimeProvider.System,
            new RecordsHealth(TimeProvider.System));
        return new RedisCallLeases(connection, recorder, NullLogger<RedisCallLeases>.Instance);
    }

    private IDatabase Database => connections[0].GetDatabase();

    /// <summary>A live slot bound to the call, as the session store leaves it.</summary>
    private async Task<LeasedCall> LiveCallAsync(string callId)
    {
        var slotId = "slot-" + callId;
        await Database.HashSetAsync(Prefix + "slot:" + slotId, [new("owner", "alice"), new("call", callId)]);
        await Database.StringSetAsync(Prefix + "call:" + callId, slotId);
        // Whole milliseconds, as Redis keeps them.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return new LeasedCall(callId, slotId, "alice", now, now.AddMinutes(15), ["current_time"], NegotiationMode.Direct,
            new CallDescription("browser:abc", "webrtc", "gpt-realtime", "concise", "marin", Guid.CreateVersion7()));
    }

    private static Task LeaseExpiryAsync() => Task.Delay(RedisCallLeases.Ttl + TimeSpan.FromMilliseconds(500));

    [Fact]
    public async Task An_expired_lease_is_claimed_by_exactly_one_of_many_instances_with_everything_needed_to_run_the_call()
    {
        var owner = await InstanceAsync();
        var survivors = new List<RedisCallLeases>();
        for (var i = 0; i < 4; i++)
            survivors.Add(await InstanceAsync());
        var call = await LiveCallAsync("rtc_a");
        owner.Hold(call);

        // Held and renewed: nobody may claim it.
        Assert.All(survivors, survivor => Assert.Empty(survivor.ClaimExpired()));
        await Task.Delay(RedisCallLeases.RenewEvery);
        Assert.Empty(owner.Renew());
        Assert.All(survivors, survivor => Assert.Empty(survivor.ClaimExpired()));

        // The owner dies (stops renewing): once the lease expires, all survivors race for it.
        await LeaseExpiryAsync();
        var claims = await Task.WhenAll(survivors.Select(survivor => Task.Run(survivor.ClaimExpired)));

        var claimed = Assert.Single(claims.SelectMany(c => c));
        Assert.Equal(call, claimed with { Tools = call.Tools });
        Assert.Equal(call.Tools, claimed.Tools);
        var winner = survivors[Array.FindIndex(claims, c => c.Count == 1)];
        Assert.Equal(winner.InstanceId, (string?)await Database.StringGetAsync(Prefix + "lease:rtc_a"));
    }

    [Fact]
    public async Task An_owner_too_slow_to_renew_learns_another_instance_holds_the_call_and_cannot_release_its_lease()
    {
        var slow = await InstanceAsync();
        var other = await InstanceAsync();
        slow.Hold(await LiveCallAsync("rtc_b"));

        await LeaseExpiryAsync();
        var taken = Assert.Single(other.ClaimExpired());
        other.Hold(taken);

        Assert.Equal(["rtc_b"], slow.Renew());
        Assert.Equal(0, slow.Held);
        slow.Release("rtc_b");
        Assert.Empty(other.Renew());
        Assert.Equal(other.InstanceId, (string?)await Database.StringGetAsync(Prefix + "lease:rtc_b"));
    }

    [Fact]
    public async Task A_released_call_or_one_whose_slot_ended_is_never_taken_over()
    {
        var owner = await InstanceAsync();
        var survivor = await InstanceAsync();
        owner.Hold(await LiveCallAsync("rtc_released"));
        owner.Hold(await LiveCallAsync("rtc_ended"));

        owner.Release("rtc_released");
        // Ended by another instance (a hang-up, the maximum length) while its owner was dying.
        await Database.KeyDeleteAsync(Prefix + "slot:slot-rtc_ended");
        await LeaseExpiryAsync();

        Assert.Empty(survivor.ClaimExpired());
        Assert.False(await Database.KeyExistsAsync(Prefix + "leased:rtc_ended"));
        Assert.False(await Database.KeyExistsAsync(Prefix + "leased:rtc_released"));
        Assert.Empty(await Database.SetMembersAsync(Prefix + "leased"));
    }

    [Fact]
    public async Task After_Redis_restarts_empty_the_owner_writes_its_leases_again_so_they_can_still_be_taken_over()
    {
        var owner = await InstanceAsync();
        var survivor = await InstanceAsync();
        var call = await LiveCallAsync("rtc_c");
        owner.Hold(call);

        await redis.StopAsync();
        await redis.StartAgainAsync();
        await Await.UntilAsync(() => connections.All(c => c.IsConnected), "both instances to reconnect", TimeSpan.FromSeconds(30));
        await LiveCallAsync("rtc_c"); // The session store registers its slot again (SessionRegistry's sweep).
        Assert.Empty(owner.Renew());

        await LeaseExpiryAsync();
        var claimed = Assert.Single(survivor.ClaimExpired());
        Assert.Equal(call.Record, claimed.Record);
    }
}
