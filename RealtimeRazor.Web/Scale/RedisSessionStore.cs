using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Realtime.Calls;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

/// <summary>
/// The session slots in Redis, shared by every instance. Each operation is one Lua script, so the check
/// and the change are atomic across instances. Layout (under <see cref="ScaleExtensions.KeyPrefix"/>):
/// <c>sessions</c> and <c>user:{owner}</c> are sorted sets of slot ids scored by their end (ms); a slot
/// is the hash <c>slot:{id}</c> (owner, started, tools, call, and the call's last published status); <c>call:{callId}</c> names its slot.
/// Every key expires an hour after its slot ends, so nothing outlives a cluster that went away. A slot that
/// ended leaves <c>ended:{id}</c> for an hour: an instance whose slot is missing can tell "ended by another
/// instance" (close its controller) from "lost with Redis's data" (register it again, the call goes on).
/// The scripts name keys they build themselves: one Redis (or a primary with replicas), not a Redis Cluster.
/// </summary>
public sealed class RedisSessionStore(IConnectionMultiplexer redis) : ISessionStore
{
    /// <summary>
    /// Removes a slot everywhere: <c>drop(id)</c> returns true when it existed. A slot whose end passed is marked
    /// <c>lapsed</c>, one given back <c>1</c>: a socket's slot that lapsed while its instance could not renew it is registered again.
    /// A lapsed socket's slot and call are queued in the list <c>lapsed-sockets</c> for the next sweep to end the call's record.
    /// </summary>
    private const string Drop = """
        local p = ARGV[1]
        local grace = 3600000
        local function drop(id, mark)
          local slot = p .. 'slot:' .. id
          local owner = redis.call('HGET', slot, 'owner')
          local call = redis.call('HGET', slot, 'call')
          local socket = redis.call('HGET', slot, 'socket')
          if socket and mark == 'lapsed' then
            redis.call('RPUSH', p .. 'lapsed-sockets', id, socket)
            redis.call('PEXPIRE', p .. 'lapsed-sockets', grace)
          end
          redis.call('ZREM', p .. 'sessions', id)
          if owner then redis.call('ZREM', p .. 'user:' .. owner, id) end
          if call then redis.call('DEL', p .. 'call:' .. call) end
          redis.call('DEL', slot)
          -- Tells the other instances the slot ended (rather than was lost with Redis's data).
          if owner then redis.call('SET', p .. 'ended:' .. id, mark or '1', 'PX', grace) end
          return owner ~= false
        end

        """;

    // ARGV: prefix, id, owner, now, ends, maxPerUser, maxSessions, tools, socket call ('' for none)
    private const string ReserveScript = Drop + """
        local all, mine, now = p .. 'sessions', p .. 'user:' .. ARGV[3], tonumber(ARGV[4])
        -- Reservations never bound to a call lapse at their end; bound calls stay until a reaper takes them.
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', all, '-inf', now)) do
          if redis.call('HEXISTS', p .. 'slot:' .. id, 'call') == 0 then drop(id, 'lapsed') end
        end
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', mine, '-inf', now)) do
          if redis.call('HEXISTS', p .. 'slot:' .. id, 'call') == 0 then redis.call('ZREM', mine, id) end
        end
        if redis.call('ZCARD', mine) >= tonumber(ARGV[6]) then return 1 end
        if redis.call('ZCARD', all) >= tonumber(ARGV[7]) then return 2 end
        local ends = tonumber(ARGV[5])
        redis.call('ZADD', all, ends, ARGV[2])
        redis.call('ZADD', mine, ends, ARGV[2])
        local slot = p .. 'slot:' .. ARGV[2]
        redis.call('HSET', slot, 'owner', ARGV[3], 'started', ARGV[4], 'tools', ARGV[8])
        if ARGV[9] ~= '' then redis.call('HSET', slot, 'socket', ARGV[9]) end
        redis.call('PEXPIREAT', slot, ends + grace)
        if redis.call('PTTL', mine) < ends + grace - now then redis.call('PEXPIREAT', mine, ends + grace) end
        return 0
        """;

    // ARGV: prefix, owner, id, callId, now, lengthFromStart ('' keeps the end). Returns { outcome, tools }.
    private const string BindScript = Drop + """
        local slot, now = p .. 'slot:' .. ARGV[3], tonumber(ARGV[5])
        local owner = redis.call('HGET', slot, 'owner')
        if not owner or owner ~= ARGV[2] then return { 3, '' } end
        local call = redis.call('HGET', slot, 'call')
        local ends = redis.call('ZSCORE', p .. 'sessions', ARGV[3])
        if not ends or (not call and tonumber(ends) <= now) then return { 3, '' } end
        local tools = redis.call('HGET', slot, 'tools') or ''
        if call == ARGV[4] then return { 1, tools } end
        if call or redis.call('EXISTS', p .. 'call:' .. ARGV[4]) == 1 then return { 2, '' } end
        ends = tonumber(ends)
        if ARGV[6] ~= '' then
          ends = tonumber(redis.call('HGET', slot, 'started')) + tonumber(ARGV[6])
          redis.call('ZADD', p .. 'sessions', 'XX', ends, ARGV[3])
          redis.call('ZADD', p .. 'user:' .. owner, 'XX', ends, ARGV[3])
          redis.call('PEXPIREAT', slot, ends + grace)
          local mine = p .. 'user:' .. owner
          if redis.call('PTTL', mine) < ends + grace - now then redis.call('PEXPIREAT', mine, ends + grace) end
        end
        redis.call('HSET', slot, 'call', ARGV[4])
        redis.call('SET', p .. 'call:' .. ARGV[4], ARGV[3], 'PXAT', ends + grace)
        return { 0, tools }
        """;

    // ARGV: prefix, id
    private const string RemoveScript = Drop + """
        if drop(ARGV[2]) then return 1 end
        return 0
        """;

    // ARGV: prefix, owner, callId. Returns the slot id or false.
    private const string EndScript = Drop + """
        local id = redis.call('GET', p .. 'call:' .. ARGV[3])
        if not id or redis.call('HGET', p .. 'slot:' .. id, 'owner') ~= ARGV[2] then return false end
        drop(id)
        return id
        """;

    // ARGV: prefix, now. Returns { id, call or '', ... }, { id, socket call, ... } (the sockets' slots that lapsed since the last sweep, here or when a reservation swept them).
    private const string TakeExpiredScript = Drop + """
        local taken = {}
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'sessions', '-inf', tonumber(ARGV[2]))) do
          taken[#taken + 1] = id
          taken[#taken + 1] = redis.call('HGET', p .. 'slot:' .. id, 'call') or ''
          drop(id, 'lapsed')
        end
        local sockets = redis.call('LRANGE', p .. 'lapsed-sockets', 0, -1)
        redis.call('DEL', p .. 'lapsed-sockets')
        return { taken, sockets }
        """;

    // ARGV: prefix, ids... Returns { ended ids }, { lost ids }.
    private const string CheckScript = """
        local ended, lost = {}, {}
        for i = 2, #ARGV do
          if redis.call('EXISTS', ARGV[1] .. 'slot:' .. ARGV[i]) == 0 then
            if redis.call('EXISTS', ARGV[1] .. 'ended:' .. ARGV[i]) == 1 then ended[#ended + 1] = ARGV[i] else lost[#lost + 1] = ARGV[i] end
          end
        end
        return { ended, lost }
        """;

    // ARGV: prefix, id, owner, started, ends, tools, call ('' for none)
    private const string RestoreScript = Drop + """
        local slot, ends = p .. 'slot:' .. ARGV[2], tonumber(ARGV[5])
        if redis.call('EXISTS', slot) == 1 or redis.call('EXISTS', p .. 'ended:' .. ARGV[2]) == 1 then return 0 end
        redis.call('ZADD', p .. 'sessions', ends, ARGV[2])
        redis.call('ZADD', p .. 'user:' .. ARGV[3], ends, ARGV[2])
        redis.call('HSET', slot, 'owner', ARGV[3], 'started', ARGV[4], 'tools', ARGV[6])
        if ARGV[7] ~= '' then
          redis.call('HSET', slot, 'call', ARGV[7])
          redis.call('SET', p .. 'call:' .. ARGV[7], ARGV[2], 'PXAT', ends + grace)
        end
        redis.call('PEXPIREAT', slot, ends + grace)
        local mine = p .. 'user:' .. ARGV[3]
        if redis.call('PTTL', mine) < ends + grace - tonumber(redis.call('TIME')[1]) * 1000 then redis.call('PEXPIREAT', mine, ends + grace) end
        return 1
        """;

    // ARGV: prefix, ends, now, then id, owner, started, tools, socket call for each slot. Returns the ids registered again.
    // A slot given back meanwhile (its socket closed after the renewal was sent) stays gone.
    private const string RenewScript = """
        local p, ends, now, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), 3600000
        local restored = {}
        for i = 4, #ARGV, 5 do
          local id, owner = ARGV[i], ARGV[i + 1]
          local slot, mine = p .. 'slot:' .. id, p .. 'user:' .. owner
          local exists = redis.call('EXISTS', slot) == 1
          if exists or redis.call('GET', p .. 'ended:' .. id) ~= '1' then
            if not exists then
              redis.call('HSET', slot, 'owner', owner, 'started', ARGV[i + 2], 'tools', ARGV[i + 3])
              if ARGV[i + 4] ~= '' then redis.call('HSET', slot, 'socket', ARGV[i + 4]) end
              redis.call('DEL', p .. 'ended:' .. id)
              restored[#restored + 1] = id
            end
            redis.call('ZADD', p .. 'sessions', ends, id)
            redis.call('ZADD', mine, ends, id)
            redis.call('PEXPIREAT', slot, ends + grace)
            if redis.call('PTTL', mine) < ends + grace - now then redis.call('PEXPIREAT', mine, ends + grace) end
          end
        end
        return restored
        """;

    // ARGV: prefix, owner, callId. Returns { published status or '', tools }, or false when the call is not the owner's.
    private const string StatusScript = """
        local id = redis.call('GET', ARGV[1] .. 'call:' .. ARGV[3])
        if not id then return false end
        local slot = ARGV[1] .. 'slot:' .. id
        if redis.call('HGET', slot, 'owner') ~= ARGV[2] then return false end
        return { redis.call('HGET', slot, 'status') or '', redis.call('HGET', slot, 'tools') or '' }
        """;

    // ARGV: prefix, id, status. A slot removed meanwhile is not made again.
    private const string PublishScript = """
        local slot = ARGV[1] .. 'slot:' .. ARGV[2]
        if redis.call('EXISTS', slot) == 1 then redis.call('HSET', slot, 'status', ARGV[3]) end
        return 0
        """;

    private static readonly RedisValue Prefix = ScaleExtensions.KeyPrefix;

    private IDatabase Database => redis.GetDatabase();

    public async Task<ReserveOutcome> ReserveAsync(StoredSlot slot, int maxSessionsPerUser, int maxSessions, DateTimeOffset now) =>
        (int)await Database.ScriptEvaluateAsync(ReserveScript, values:
        [
            Prefix, slot.Id, slot.Owner, now.ToUnixTimeMilliseconds(), slot.EndsAt.ToUnixTimeMilliseconds(), maxSessionsPerUser, maxSessions, string.Join('\n', slot.Tools),
            slot.SocketCall ?? string.Empty,
        ]) switch
        {
            0 => ReserveOutcome.Reserved,
            1 => ReserveOutcome.TooManySessions,
            _ => ReserveOutcome.SiteAtCapacity,
        };

    public async Task<BindResult> BindAsync(string owner, string slotId, string callId, DateTimeOffset now, TimeSpan? lengthFromStart)
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(BindScript, values:
        [
            Prefix, owner, slotId, callId, now.ToUnixTimeMilliseconds(), lengthFromStart is { } length ? (long)length.TotalMilliseconds : RedisValue.EmptyString,
        ]))!;
        var tools = ((string?)result[1] ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (int)result[0] switch
        {
            0 => new(BindOutcome.Bound, tools),
            1 => new(BindOutcome.AlreadyThisCall, tools),
            2 => new(BindOutcome.AlreadyBound, []),
            _ => new(BindOutcome.NoSuchSlot, []),
        };
    }

    public async Task<bool> RemoveAsync(string slotId) => (int)await Database.ScriptEvaluateAsync(RemoveScript, values: [Prefix, slotId]) == 1;

    public async Task<string?> EndCallAsync(string owner, string callId)
    {
        var result = await Database.ScriptEvaluateAsync(EndScript, values: [Prefix, owner, callId]);
        return result.IsNull ? null : (string?)result;
    }

    public async Task<CallStatus?> StatusAsync(string owner, string callId)
    {
        var result = await Database.ScriptEvaluateAsync(StatusScript, values: [Prefix, owner, callId]);
        if (result.IsNull)
            return null;
        var (status, tools) = ((string?)result[0] ?? string.Empty, (string?)result[1] ?? string.Empty);
        return (status.Length > 0 ? CallStatus.FromJson(status) : null)
            ?? CallStatus.Starting(tools.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>All in one pipeline: one round trip however many calls run here.</summary>
    public Task PublishStatusAsync(IReadOnlyCollection<(string SlotId, CallStatus Status)> statuses) =>
        Task.WhenAll(statuses.Select(entry => Database.ScriptEvaluateAsync(PublishScript, values: [Prefix, entry.SlotId, entry.Status.ToJson()])));

    public IReadOnlyList<EndedSlot> TakeExpired(DateTimeOffset now)
    {
        var result = (RedisResult[])Database.ScriptEvaluate(TakeExpiredScript, values: [Prefix, now.ToUnixTimeMilliseconds()])!;
        var (taken, sockets) = ((RedisResult[])result[0]!, (RedisResult[])result[1]!);
        var ended = new List<EndedSlot>(taken.Length / 2);
        for (var i = 0; i + 1 < taken.Length; i += 2)
            ended.Add(new EndedSlot((string)taken[i]!, (string?)taken[i + 1] is { Length: > 0 } call ? call : null));
        for (var i = 0; i + 1 < sockets.Length; i += 2)
        {
            var (slotId, socketCall) = ((string)sockets[i]!, (string)sockets[i + 1]!);
            var at = ended.FindIndex(slot => slot.SlotId == slotId);
            if (at >= 0)
                ended[at] = ended[at] with { SocketCall = socketCall };
            else
                ended.Add(new EndedSlot(slotId, null, socketCall));
        }
        return ended;
    }

    public SlotCheck Check(IReadOnlyCollection<string> slotIds)
    {
        var result = (RedisResult[])Database.ScriptEvaluate(CheckScript, values: [Prefix, .. slotIds.Select(id => (RedisValue)id)])!;
        return new SlotCheck(Ids(result[0]), Ids(result[1]));

        static string[] Ids(RedisResult ids) => [.. ((RedisResult[])ids!).Select(id => (string)id!)];
    }

    /// <summary>The lease of the takeover: a dead instance's socket slots lapse this long after its last renewal.</summary>
    public TimeSpan? OpenSlotHold => RedisCallLeases.Ttl;

    /// <summary>One round trip for every socket open here.</summary>
    public IReadOnlyList<string> Renew(IReadOnlyCollection<StoredSlot> slots, DateTimeOffset ends, DateTimeOffset now) =>
        [.. ((RedisResult[])Database.ScriptEvaluate(RenewScript, values:
        [
            Prefix, ends.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(),
            .. slots.SelectMany(slot => new RedisValue[] { slot.Id, slot.Owner, slot.StartedAt.ToUnixTimeMilliseconds(), string.Join('\n', slot.Tools), slot.SocketCall ?? string.Empty }),
        ])!).Select(id => (string)id!)];

    public void Restore(StoredSlot slot, string? callId) =>
        Database.ScriptEvaluate(RestoreScript, values:
        [
            Prefix, slot.Id, slot.Owner, slot.StartedAt.ToUnixTimeMilliseconds(), slot.EndsAt.ToUnixTimeMilliseconds(), string.Join('\n', slot.Tools), callId ?? string.Empty,
        ]);
}
