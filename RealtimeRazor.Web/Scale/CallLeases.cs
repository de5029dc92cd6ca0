using System.Collections.Concurrent;
using System.Globalization;
using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Records;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

/// <summary>
/// What another instance needs to take a WebRTC call over: its slot, whose it is, its tools, when it ends,
/// and how its record was described (the record itself is found by the call id).
/// </summary>
public sealed record LeasedCall(
    string CallId, string SlotId, string Owner, DateTimeOffset StartedAt, DateTimeOffset EndsAt, IReadOnlyList<string> Tools, NegotiationMode Mode, CallDescription? Record);

/// <summary>
/// Which instance runs each live WebRTC call's controller (and so holds its sideband). With one instance
/// there is nobody to hand a call to (<see cref="NoCallLeases"/>); with Redis see <see cref="RedisCallLeases"/>.
/// WebSocket calls are never leased: their browser socket dies with their instance.
/// </summary>
public interface ICallLeases
{
    /// <summary>This instance runs the call's controller from now on; never throws and never waits for Redis (a lease Redis missed is written on the next renewal).</summary>
    void Hold(LeasedCall leased);

    /// <summary>The call ended here: nobody is to take it over. Never throws and never waits for Redis.</summary>
    void Release(string callId);
}

public sealed class NoCallLeases : ICallLeases
{
    public void Hold(LeasedCall leased)
    {
    }

    public void Release(string callId)
    {
    }
}

/// <summary>
/// Call ownership in Redis. Each call this instance runs has a lease <c>lease:{callId}</c> (this instance's
/// id, expiring after <see cref="Ttl"/>, renewed every <see cref="RenewEvery"/> by <see cref="CallTakeover"/>)
/// and what a survivor needs in the hash <c>leased:{callId}</c>, listed in the set <c>leased</c>. An instance
/// that dies stops renewing; once its leases expire, exactly one other instance claims each call whose slot
/// is still live (<see cref="ClaimExpired"/>) and runs its controller. Each step is one Lua script, so a
/// check and its change are atomic across instances.
/// </summary>
public sealed partial class RedisCallLeases(IConnectionMultiplexer redis, CallRecorder records, ILogger<RedisCallLeases> logger) : ICallLeases
{
    /// <summary>Long enough for a loaded machine to renew two or three times in it; short enough that kill → sideband reopened stays within 5 s.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(1);

    // ARGV: prefix, callId, me, ttl, ends, field, value, ...
    private const string HoldScript = """
        local p, call, me = ARGV[1], ARGV[2], ARGV[3]
        local lease, info = p .. 'lease:' .. call, p .. 'leased:' .. call
        local holder = redis.call('GET', lease)
        if holder and holder ~= me then return 0 end
        redis.call('SET', lease, me, 'PX', ARGV[4])
        redis.call('DEL', info)
        for i = 6, #ARGV, 2 do redis.call('HSET', info, ARGV[i], ARGV[i + 1]) end
        -- Lapses an hour after the call's end, as the slots' keys do, should nobody release it.
        redis.call('PEXPIREAT', info, tonumber(ARGV[5]) + 3600000)
        redis.call('SADD', p .. 'leased', call)
        return 1
        """;

    // ARGV: prefix, me, ttl, callIds... Returns one code per call: 0 renewed, 1 another instance holds it, 2 renewed but its data was lost.
    private const string RenewScript = """
        local p, me = ARGV[1], ARGV[2]
        local codes = {}
        for i = 4, #ARGV do
          local lease = p .. 'lease:' .. ARGV[i]
          local holder = redis.call('GET', lease)
          if holder and holder ~= me then
            codes[#codes + 1] = 1
          else
            redis.call('SET', lease, me, 'PX', ARGV[3])
            if redis.call('EXISTS', p .. 'leased:' .. ARGV[i]) == 1 then codes[#codes + 1] = 0 else codes[#codes + 1] = 2 end
          end
        end
        return codes
        """;

    // ARGV: prefix, callId, me. A lease another instance holds is theirs to release.
    private const string ReleaseScript = """
        local p, call = ARGV[1], ARGV[2]
        local holder = redis.call('GET', p .. 'lease:' .. call)
        if holder and holder ~= ARGV[3] then return 0 end
        redis.call('DEL', p .. 'lease:' .. call, p .. 'leased:' .. call)
        redis.call('SREM', p .. 'leased', call)
        return 1
        """;

    // ARGV: prefix, me, ttl. Returns { { callId, field, value, ... }, ... }: the calls this instance now holds.
    private const string ClaimScript = """
        local p, me = ARGV[1], ARGV[2]
        local claimed = {}
        for _, call in ipairs(redis.call('SMEMBERS', p .. 'leased')) do
          if redis.call('EXISTS', p .. 'lease:' .. call) == 0 then
            local info = p .. 'leased:' .. call
            local slot = redis.call('HGET', info, 'slot')
            if not slot or redis.call('GET', p .. 'call:' .. call) ~= slot or redis.call('EXISTS', p .. 'slot:' .. slot) == 0 then
              -- The call ended (or its data lapsed): nothing to take over.
              redis.call('DEL', info)
              redis.call('SREM', p .. 'leased', call)
            else
              redis.call('SET', p .. 'lease:' .. call, me, 'PX', ARGV[3])
              local entry = { call }
              for _, v in ipairs(redis.call('HGETALL', info)) do entry[#entry + 1] = v end
              claimed[#claimed + 1] = entry
            end
          end
        end
        return claimed
        """;

    private static readonly RedisValue Prefix = ScaleExtensions.KeyPrefix;

    private readonly ConcurrentDictionary<string, LeasedCall> _held = new(StringComparer.Ordinal);

    /// <summary>This process, as the leases name it: unique per start, so a restarted instance never mistakes an old lease for its own.</summary>
    public string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private IDatabase Database => redis.GetDatabase();

    public void Hold(LeasedCall leased)
    {
        // Relay calls are described to the records before they are bound; a survivor describes them the same way.
        var call = leased with { Record = leased.Record ?? records.DescriptionOf(leased.CallId) };
        _held[call.CallId] = call;
        // Not waited for: a session start must not wait for what only a takeover (seconds from now) reads.
        // The multiplexer sends commands in order, so a Release after this Hold never overtakes it.
        _ = WriteAsync(call);
    }

    /// <summary>Never throws: a lease Redis missed is written again by the next renewal (it finds the call's data missing).</summary>
    private async Task WriteAsync(LeasedCall call)
    {
        try
        {
            await Database.ScriptEvaluateAsync(HoldScript, values:
            [
                Prefix, call.CallId, InstanceId, (long)Ttl.TotalMilliseconds, call.EndsAt.ToUnixTimeMilliseconds(), .. Fields(call),
            ]);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            LogHoldFailed(logger, call.CallId, ex.GetType().Name);
        }
    }

    public void Release(string callId)
    {
        if (_held.TryRemove(callId, out _))
            _ = ReleaseAsync(callId);
    }

    /// <summary>Not waited for (a hang-up answers without it); never throws.</summary>
    private async Task ReleaseAsync(string callId)
    {
        try
        {
            await Database.ScriptEvaluateAsync(ReleaseScript, values: [Prefix, callId, InstanceId]);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // The lease expires; the survivors' watchers find the call's slot gone and clean up.
            LogReleaseFailed(logger, callId, ex.GetType().Name);
        }
    }

    /// <summary>The calls this instance runs.</summary>
    public int Held => _held.Count;

    /// <summary>Renews every lease held here; returns the calls another instance now holds (this one was too slow to renew).</summary>
    public IReadOnlyList<string> Renew()
    {
        var calls = _held.Keys.ToArray();
        if (calls.Length == 0)
            return [];
        var codes = (int[])Database.ScriptEvaluate(RenewScript, values: [Prefix, InstanceId, (long)Ttl.TotalMilliseconds, .. calls.Select(call => (RedisValue)call)])!;
        var lost = new List<string>();
        for (var i = 0; i < calls.Length; i++)
        {
            switch (codes[i])
            {
                case 1:
                    if (_held.TryRemove(calls[i], out _))
                        lost.Add(calls[i]);
                    break;
                case 2 when _held.TryGetValue(calls[i], out var call):
                    // Redis restarted empty: what a survivor would need is written again.
                    _ = WriteAsync(call);
                    break;
            }
        }
        return lost;
    }

    /// <summary>Claims every call whose lease expired while its slot is live; each goes to exactly one instance.</summary>
    public IReadOnlyList<LeasedCall> ClaimExpired()
    {
        var claimed = (RedisResult[])Database.ScriptEvaluate(ClaimScript, values: [Prefix, InstanceId, (long)Ttl.TotalMilliseconds])!;
        var calls = new List<LeasedCall>(claimed.Length);
        foreach (var entry in claimed)
        {
            var values = ((RedisResult[])entry!).Select(value => (string)value!).ToArray();
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 1; i + 1 < values.Length; i += 2)
                fields[values[i]] = values[i + 1];
            if (Parse(values[0], fields) is { } call)
                calls.Add(call);
            else
            {
                LogUnreadable(logger, values[0]);
                Database.ScriptEvaluate(ReleaseScript, values: [Prefix, values[0], InstanceId]);
            }
        }
        return calls;
    }

    private static RedisValue[] Fields(LeasedCall call)
    {
        var fields = new List<RedisValue>
        {
            "slot", call.SlotId, "owner", call.Owner, "started", call.StartedAt.ToUnixTimeMilliseconds(), "ends", call.EndsAt.ToUnixTimeMilliseconds(),
            "tools", string.Join('\n', call.Tools), "mode", call.Mode.ToString(),
        };
        if (call.Record is { } record)
        {
            fields.AddRange(["record.owner", record.Owner, "record.transport", record.Transport, "record.model", record.Model, "record.voice", record.Voice]);
            if (record.Preset is { } preset)
                fields.AddRange(["record.preset", preset]);
            if (record.ContinuedFrom is { } continued)
                fields.AddRange(["record.continued", continued.ToString()]);
        }
        return [.. fields];
    }

    private static LeasedCall? Parse(string callId, Dictionary<string, string> fields)
    {
        if (!fields.TryGetValue("slot", out var slot) || !fields.TryGetValue("owner", out var owner)
            || !long.TryParse(fields.GetValueOrDefault("started"), CultureInfo.InvariantCulture, out var started)
            || !long.TryParse(fields.GetValueOrDefault("ends"), CultureInfo.InvariantCulture, out var ends)
            || !Enum.TryParse<NegotiationMode>(fields.GetValueOrDefault("mode"), out var mode))
            return null;
        CallDescription? record = fields.TryGetValue("record.owner", out var recordOwner)
            ? new CallDescription(recordOwner, fields.GetValueOrDefault("record.transport", "webrtc"), fields.GetValueOrDefault("record.model", ""),
                fields.GetValueOrDefault("record.preset"), fields.GetValueOrDefault("record.voice", ""),
                Guid.TryParse(fields.GetValueOrDefault("record.continued"), out var continued) ? continued : null)
            : null;
        return new LeasedCall(callId, slot, owner, DateTimeOffset.FromUnixTimeMilliseconds(started), DateTimeOffset.FromUnixTimeMilliseconds(ends),
            fields.GetValueOrDefault("tools", "").Split('\n', StringSplitOptions.RemoveEmptyEntries), mode, record);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease of call {CallId} could not be written ({Failure}); retried with the next renewal")]
    private static partial void LogHoldFailed(ILogger logger, string callId, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease of call {CallId} could not be released ({Failure}); it expires on its own")]
    private static partial void LogReleaseFailed(ILogger logger, string callId, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease data of call {CallId} is unreadable; the call cannot be taken over")]
    private static partial void LogUnreadable(ILogger logger, string callId);
}
