using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Scale;
using StackExchange.Redis;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// The renewal of WebSocket calls' slots on a real Redis, as two instances see it: each instance is a
/// <see cref="RedisSessionStore"/> on its own connection. What an outage that keeps Redis's data leaves
/// behind (a live socket's slot taken as lapsed by another instance) is set up directly.
/// </summary>
public sealed class OpenSlotRenewalTests : IAsyncLifetime
{
    private RedisServer redis = null!;
    private readonly List<ConnectionMultiplexer> connections = [];

    public async Task InitializeAsync() => redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var connection in connections)
            await connection.DisposeAsync();
        await redis.DisposeAsync();
    }

    private async Task<RedisSessionStore> InstanceAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        connections.Add(connection);
        return new RedisSessionStore(connection);
    }

    /// <summary>Whole milliseconds, as Redis keeps them.</summary>
    private static DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static StoredSlot Socket(string id, DateTimeOffset now) => new(id, "ip:127.0.0.1", now, now + RedisCallLeases.Ttl, ["current_time"], "ws_" + id);

    [Fact]
    public async Task A_socket_slot_another_instance_took_as_lapsed_while_its_own_could_not_renew_is_registered_again_and_counts()
    {
        var carrier = await InstanceAsync();
        var other = await InstanceAsync();
        var now = Now;
        var slot = Socket("socket-slot", now);
        Assert.Equal(ReserveOutcome.Reserved, await carrier.ReserveAsync(slot, 1, 10, now));

        // Its end passed without a renewal (Redis was out of reach of its instance): another instance's sweep takes it
        // for a dead instance's socket, with nothing to hang up.
        var later = now + RedisCallLeases.Ttl + TimeSpan.FromSeconds(1);
        Assert.Equal(new EndedSlot(slot.Id, null, slot.SocketCall), Assert.Single(other.TakeExpired(later)));

        Assert.Equal([slot.Id], carrier.Renew([slot], later + RedisCallLeases.Ttl, later));

        Assert.Equal(ReserveOutcome.TooManySessions, await other.ReserveAsync(Socket("second", later), 1, 10, later));
        Assert.Empty(other.TakeExpired(later + TimeSpan.FromSeconds(1)));
        var check = carrier.Check([slot.Id]);
        Assert.Empty(check.Ended);
        Assert.Empty(check.Lost);
        // Renewed in place from now on: nothing registered again.
        Assert.Empty(carrier.Renew([slot], later + RedisCallLeases.Ttl * 2, later + RedisCallLeases.Ttl));
    }

    [Fact]
    public async Task A_socket_slot_given_back_stays_gone_when_a_renewal_sent_before_arrives_after()
    {
        var carrier = await InstanceAsync();
        var now = Now;
        var slot = Socket("closed-socket", now);
        Assert.Equal(ReserveOutcome.Reserved, await carrier.ReserveAsync(slot, 1, 10, now));
        Assert.True(await carrier.RemoveAsync(slot.Id));

        Assert.Empty(carrier.Renew([slot], now + RedisCallLeases.Ttl, now));

        Assert.Equal(ReserveOutcome.Reserved, await carrier.ReserveAsync(Socket("next", now), 1, 10, now));
        // Given back is not lost: no sweep ends its call's record.
        Assert.DoesNotContain(carrier.TakeExpired(now + RedisCallLeases.Ttl * 2), slot => slot.SocketCall == "ws_closed-socket");
    }

    [Fact]
    public async Task An_unrenewed_socket_slot_stops_counting_at_its_end_and_the_next_sweep_names_its_call_even_when_a_reservation_swept_it()
    {
        var carrier = await InstanceAsync();
        var other = await InstanceAsync();
        var now = Now;
        Assert.Equal(ReserveOutcome.Reserved, await carrier.ReserveAsync(Socket("dead-socket", now), 1, 1, now));
        Assert.Equal(ReserveOutcome.TooManySessions, await other.ReserveAsync(Socket("refused", now), 1, 1, now));

        var later = now + RedisCallLeases.Ttl;
        Assert.Equal(ReserveOutcome.Reserved, await other.ReserveAsync(Socket("after", later), 1, 1, later));

        Assert.Equal(new EndedSlot("dead-socket", null, "ws_dead-socket"), Assert.Single(other.TakeExpired(later)));
        Assert.Empty(carrier.TakeExpired(later));
    }
}
