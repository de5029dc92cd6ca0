using RealtimeRazor.Web.Realtime.Calls;

namespace RealtimeRazor.Web.Realtime;

/// <summary>A session slot as every instance sees it: who holds it, until when, and the call bound to it.</summary>
/// <param name="Tools">The names of the tools the session was created with, so any instance can answer them.</param>
/// <param name="SocketCall">The WebSocket call whose open socket holds the slot (never bound: there is nothing to hang up), whose record is ended by whoever sees the slot lapse.</param>
public sealed record StoredSlot(string Id, string Owner, DateTimeOffset StartedAt, DateTimeOffset EndsAt, IReadOnlyList<string> Tools, string? SocketCall = null);

public enum ReserveOutcome
{
    Reserved,
    TooManySessions,
    SiteAtCapacity,
}

public enum BindOutcome
{
    Bound,

    /// <summary>The slot already holds this very call: nothing changed.</summary>
    AlreadyThisCall,

    /// <summary>The slot holds another call, or the call is bound to another slot.</summary>
    AlreadyBound,

    /// <summary>No live slot of this owner has that id: unknown, lapsed, ended, or someone else's.</summary>
    NoSuchSlot,
}

/// <param name="Tools">The slot's tool names (known when bound).</param>
public sealed record BindResult(BindOutcome Outcome, IReadOnlyList<string> Tools);

/// <summary>What became of slots this instance holds: <paramref name="Ended"/> by another instance, or <paramref name="Lost"/> (the store forgot them, e.g. Redis restarted empty).</summary>
public sealed record SlotCheck(IReadOnlyList<string> Ended, IReadOnlyList<string> Lost);

/// <summary>
/// A slot removed because its end passed; <paramref name="CallId"/> is the call to hang up, if one was bound;
/// <paramref name="SocketCall"/> the WebSocket call whose instance stopped renewing the slot (it died).
/// </summary>
public sealed record EndedSlot(string SlotId, string? CallId, string? SocketCall = null);

/// <summary>
/// Where the session slots live: in this process (one instance), or in Redis so the caps and call
/// ownership hold across every instance. Each operation is atomic on its own; a slot not bound to a call
/// lapses at its end, a bound one stays until <see cref="TakeExpired"/> hands its call to be hung up.
/// </summary>
/// <remarks>
/// What a request waits for is asynchronous (one round trip each with Redis); the sweep's operations,
/// run once a second off any request, are not.
/// </remarks>
public interface ISessionStore
{
    Task<ReserveOutcome> ReserveAsync(StoredSlot slot, int maxSessionsPerUser, int maxSessions, DateTimeOffset now);

    /// <summary>Binds <paramref name="callId"/> to the owner's slot; with <paramref name="lengthFromStart"/> the slot then ends that long after it started.</summary>
    Task<BindResult> BindAsync(string owner, string slotId, string callId, DateTimeOffset now, TimeSpan? lengthFromStart);

    /// <summary>Removes the slot (its call, if any, is no longer counted or owned); false when it was not there.</summary>
    Task<bool> RemoveAsync(string slotId);

    /// <summary>Removes the owner's slot holding <paramref name="callId"/>; its id, or null when the call is not theirs or unknown.</summary>
    Task<string?> EndCallAsync(string owner, string callId);

    /// <summary>
    /// The status the instance running the owner's call last published (<see cref="PublishStatusAsync"/>), for
    /// another instance to answer with (<see cref="CallStatus.Starting"/> before the first); null when the
    /// call is not the owner's or not known.
    /// </summary>
    Task<CallStatus?> StatusAsync(string owner, string callId);

    /// <summary>Publishes each call's status with its slot, for the other instances; a slot gone meanwhile is left gone.</summary>
    Task PublishStatusAsync(IReadOnlyCollection<(string SlotId, CallStatus Status)> statuses);

    /// <summary>Removes every slot whose end has passed, each exactly once across all instances.</summary>
    IReadOnlyList<EndedSlot> TakeExpired(DateTimeOffset now);

    /// <summary>Which of <paramref name="slotIds"/> no longer exist, and why.</summary>
    SlotCheck Check(IReadOnlyCollection<string> slotIds);

    /// <summary>Registers a slot the store lost again, without the caps: its call is already running.</summary>
    void Restore(StoredSlot slot, string? callId);

    /// <summary>
    /// How long a slot held by an open connection (a WebSocket call, never bound) lasts past its instance's
    /// last <see cref="Renew"/>, so a dead instance's slots lapse within seconds; null when the slots die
    /// with the instance anyway (in memory): such a slot is then held for the maximum session length.
    /// </summary>
    TimeSpan? OpenSlotHold { get; }

    /// <summary>
    /// Moves the end of each slot to <paramref name="ends"/>, registering again (without the caps: its
    /// connection is open) any the store lost or let lapse while this instance could not reach it, but none
    /// given back. Returns the ids of those registered again.
    /// </summary>
    IReadOnlyList<string> Renew(IReadOnlyCollection<StoredSlot> slots, DateTimeOffset ends, DateTimeOffset now);
}

/// <summary>One instance: the slots in this process's memory.</summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _slots = [];

    private sealed class Entry(StoredSlot slot)
    {
        public StoredSlot Slot { get; set; } = slot;
        public string? CallId { get; set; }
    }

    public Task<ReserveOutcome> ReserveAsync(StoredSlot slot, int maxSessionsPerUser, int maxSessions, DateTimeOffset now) => Task.FromResult(Reserve(slot, maxSessionsPerUser, maxSessions, now));

    private ReserveOutcome Reserve(StoredSlot slot, int maxSessionsPerUser, int maxSessions, DateTimeOffset now)
    {
        lock (_gate)
        {
            // Reservations never bound to a call lapse; calls are left for the reaper to hang up.
            foreach (var lapsed in _slots.Values.Where(entry => entry.CallId is null && entry.Slot.EndsAt <= now).ToList())
                _slots.Remove(lapsed.Slot.Id);
            if (_slots.Values.Count(entry => entry.Slot.Owner == slot.Owner) >= maxSessionsPerUser)
                return ReserveOutcome.TooManySessions;
            if (_slots.Count >= maxSessions)
                return ReserveOutcome.SiteAtCapacity;
            _slots[slot.Id] = new Entry(slot);
            return ReserveOutcome.Reserved;
        }
    }

    public Task<BindResult> BindAsync(string owner, string slotId, string callId, DateTimeOffset now, TimeSpan? lengthFromStart) =>
        Task.FromResult(Bind(owner, slotId, callId, now, lengthFromStart));

    private BindResult Bind(string owner, string slotId, string callId, DateTimeOffset now, TimeSpan? lengthFromStart)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(slotId, out var entry) || entry.Slot.Owner != owner || (entry.CallId is null && entry.Slot.EndsAt <= now))
                return new(BindOutcome.NoSuchSlot, []);
            if (entry.CallId == callId)
                return new(BindOutcome.AlreadyThisCall, entry.Slot.Tools);
            if (entry.CallId is not null || _slots.Values.Any(other => other.CallId == callId))
                return new(BindOutcome.AlreadyBound, []);
            entry.CallId = callId;
            if (lengthFromStart is { } length)
                entry.Slot = entry.Slot with { EndsAt = entry.Slot.StartedAt + length };
            return new(BindOutcome.Bound, entry.Slot.Tools);
        }
    }

    public Task<bool> RemoveAsync(string slotId)
    {
        lock (_gate)
            return Task.FromResult(_slots.Remove(slotId));
    }

    public Task<string?> EndCallAsync(string owner, string callId) => Task.FromResult(EndCall(owner, callId));

    /// <summary>One instance: every call's controller is here, so no other instance asks.</summary>
    public Task<CallStatus?> StatusAsync(string owner, string callId) => Task.FromResult<CallStatus?>(null);

    public Task PublishStatusAsync(IReadOnlyCollection<(string SlotId, CallStatus Status)> statuses) => Task.CompletedTask;

    private string? EndCall(string owner, string callId)
    {
        lock (_gate)
        {
            if (_slots.Values.FirstOrDefault(entry => entry.Slot.Owner == owner && entry.CallId == callId) is not { } entry)
                return null;
            _slots.Remove(entry.Slot.Id);
            return entry.Slot.Id;
        }
    }

    public IReadOnlyList<EndedSlot> TakeExpired(DateTimeOffset now)
    {
        lock (_gate)
        {
            var expired = _slots.Values.Where(entry => entry.Slot.EndsAt <= now).Select(entry => new EndedSlot(entry.Slot.Id, entry.CallId)).ToList();
            foreach (var slot in expired)
                _slots.Remove(slot.SlotId);
            return expired;
        }
    }

    /// <summary>This process removes its own slots: nothing here ends or loses them behind its back.</summary>
    public SlotCheck Check(IReadOnlyCollection<string> slotIds) => new([], []);

    public void Restore(StoredSlot slot, string? callId)
    {
    }

    public TimeSpan? OpenSlotHold => null;

    public IReadOnlyList<string> Renew(IReadOnlyCollection<StoredSlot> slots, DateTimeOffset ends, DateTimeOffset now) => [];
}
