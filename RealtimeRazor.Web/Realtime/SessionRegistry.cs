using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime.Calls;
using RealtimeRazor.Web.Realtime.Tools;
using RealtimeRazor.Web.Scale;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// The sessions started and not yet seen end: enforces the concurrency caps and tells the reaper which
/// calls outlived <c>Realtime:MaxSessionMinutes</c>. What every instance must agree on (the caps, which
/// user owns which call, when each ends) is in the <see cref="ISessionStore"/>; what only this process
/// can hold (a call's controller and its tools) is kept here. A slot owns its call's controller: whichever
/// way the call ends, removing the slot closes the controller and its sideband. With Redis, the instance
/// running a WebRTC call's controller holds its lease (<see cref="ICallLeases"/>), so another instance can
/// take the call over (<see cref="TakeOver"/>) when this one dies.
/// </summary>
public sealed partial class SessionRegistry(
    TimeProvider time, IOptions<AccessOptions> access, IOptions<RealtimeOptions> realtime, CallControllers controllers, ISessionStore store, ISpendingLedger ledger,
    RealtimeTools allTools, ICallLeases leases, ILogger<SessionRegistry> logger)
{
    private readonly Lock _gate = new();
    private readonly List<Slot> _slots = [];

    public sealed class Slot
    {
        internal Slot(string id, string owner, DateTimeOffset startedAt, DateTimeOffset endsAt, IReadOnlyList<AIFunction> tools)
        {
            Id = id;
            Owner = owner;
            StartedAt = startedAt;
            EndsAt = endsAt;
            Tools = tools;
        }

        /// <summary>
        /// Unguessable: a Direct-mode page names its slot with it when it reports its call. Together with
        /// the owner check it keeps one user from binding a call to, or guessing, anyone else's slot.
        /// </summary>
        public string Id { get; }

        public string Owner { get; }
        public DateTimeOffset StartedAt { get; }
        public DateTimeOffset EndsAt { get; internal set; }
        public string? CallId { get; internal set; }

        /// <summary>The tools the session was created with: its controller answers only these.</summary>
        public IReadOnlyList<AIFunction> Tools { get; }

        public CallController? Controller { get; internal set; }

        /// <summary>Held by a connection open here (a WebSocket call): its end is renewed while the connection lives, never by a call.</summary>
        internal bool Renewed { get; init; }

        /// <inheritdoc cref="StoredSlot.SocketCall"/>
        internal string? SocketCall { get; init; }
    }

    public enum ReportOutcome
    {
        Bound,

        /// <summary>No live slot of this owner has that id: unknown, lapsed, ended, or someone else's.</summary>
        NoSuchSlot,

        /// <summary>The slot already holds another call, or the call is already bound to a slot.</summary>
        AlreadyBound,
    }

    public TimeSpan MaxSessionLength => TimeSpan.FromMinutes(realtime.Value.MaxSessionMinutes);

    /// <summary>
    /// Takes a slot for <paramref name="owner"/>, held until <paramref name="holdFor"/> passes once kept;
    /// refused when the owner's (or the site's) daily budget is spent, or a cap is reached. Asked before
    /// OpenAI is: a refused start costs nothing there.
    /// </summary>
    public Task<Refusable<Lease>> ReserveAsync(string owner, TimeSpan holdFor, IReadOnlyList<AIFunction> tools) => ReserveAsync(owner, holdFor, tools, renewed: false);

    /// <summary>
    /// Takes a slot held for as long as a connection open here lives (it is never kept or bound), like
    /// <see cref="ReserveAsync(string, TimeSpan, IReadOnlyList{AIFunction})"/>. With Redis it ends a few seconds
    /// ahead and this instance renews it (<see cref="RenewOpenSlots"/>): the slots of an instance that died lapse
    /// within seconds instead of counting against the caps until the maximum session length, and whoever sees
    /// one lapse ends the record of its <paramref name="socketCall"/>.
    /// </summary>
    public Task<Refusable<Lease>> ReserveWhileOpenAsync(string owner, IReadOnlyList<AIFunction> tools, string? socketCall = null) =>
        store.OpenSlotHold is { } hold
            ? ReserveAsync(owner, hold, tools, renewed: true, socketCall)
            : ReserveAsync(owner, MaxSessionLength, tools, renewed: false, socketCall);

    private async Task<Refusable<Lease>> ReserveAsync(string owner, TimeSpan holdFor, IReadOnlyList<AIFunction> tools, bool renewed, string? socketCall = null)
    {
        var now = time.GetUtcNow();
        var slot = new Slot(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), owner, now, now + holdFor, tools) { Renewed = renewed, SocketCall = socketCall };
        var stored = new StoredSlot(slot.Id, owner, now, slot.EndsAt, [.. tools.Select(tool => tool.Name)], socketCall);
        // The budget and the caps are asked at once (with Redis, one round trip for both): a session start
        // waits for Redis as little as it can. A slot taken for someone whose budget is spent is given back.
        var budget = ledger.CheckAsync(owner);
        var reserving = store.ReserveAsync(stored, access.Value.MaxSessionsPerUser, access.Value.MaxSessions, now);
        Refusal? spent;
        try
        {
            spent = await budget;
        }
        catch
        {
            await GiveBackAsync(reserving, slot.Id);
            throw;
        }
        var reserved = await reserving;
        if (spent is not null)
        {
            if (reserved == ReserveOutcome.Reserved)
                await store.RemoveAsync(slot.Id);
            return spent;
        }
        switch (reserved)
        {
            case ReserveOutcome.TooManySessions:
                return Refusal.Of(ProblemCode.TooManySessions, ("maxSessionsPerUser", access.Value.MaxSessionsPerUser));
            case ReserveOutcome.SiteAtCapacity:
                return Refusal.Of(ProblemCode.SiteAtCapacity);
        }
        lock (_gate)
            _slots.Add(slot);
        return new Lease(this, slot);
    }

    /// <summary>
    /// A reserved slot while its session is being started: disposing it gives the slot back unless
    /// <see cref="KeepAsync"/> was called, so a refused or failed start never holds a slot.
    /// </summary>
    public sealed class Lease : IAsyncDisposable
    {
        private readonly SessionRegistry _registry;
        private readonly Slot _slot;
        private bool _kept;

        internal Lease(SessionRegistry registry, Slot slot)
        {
            _registry = registry;
            _slot = slot;
        }

        /// <inheritdoc cref="Slot.Id"/>
        public string Id => _slot.Id;

        /// <summary>The session started: the slot stays, bound to the call when OpenAI named one.</summary>
        public Task KeepAsync(string? callId = null)
        {
            _kept = true;
            return callId is not null ? _registry.BindAsync(_slot, callId) : Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (_kept)
                return ValueTask.CompletedTask;
            _kept = true;
            return new(_registry.ReleaseAsync(_slot));
        }
    }

    /// <summary>The budget could not be read (Redis is down): the reservation made beside it is undone if it can be.</summary>
    private async Task GiveBackAsync(Task<ReserveOutcome> reserving, string slotId)
    {
        try
        {
            if (await reserving == ReserveOutcome.Reserved)
                await store.RemoveAsync(slotId);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // Redis is down: the reservation lapses at its end.
        }
    }

    /// <summary>Relay: OpenAI named the call the slot was reserved for.</summary>
    private async Task BindAsync(Slot slot, string callId)
    {
        if ((await store.BindAsync(slot.Owner, slot.Id, callId, time.GetUtcNow(), lengthFromStart: null)).Outcome == BindOutcome.Bound)
            BindHere(slot, callId, NegotiationMode.Relay);
    }

    private async Task ReleaseAsync(Slot slot)
    {
        RemoveHere(candidate => candidate == slot);
        await store.RemoveAsync(slot.Id);
    }

    /// <summary>
    /// Direct mode: binds the call the page started with its secret to the slot reserved when the secret
    /// was minted (on this instance or another). From then on the slot is held for the maximum session
    /// length, counted from that reservation (the call cannot have started earlier), and the call is hung
    /// up when it ends.
    /// </summary>
    public async Task<ReportOutcome> TryReportAsync(string owner, string slotId, string callId)
    {
        var now = time.GetUtcNow();
        var bound = await store.BindAsync(owner, slotId, callId, now, MaxSessionLength);
        switch (bound.Outcome)
        {
            case BindOutcome.AlreadyThisCall:
                return ReportOutcome.Bound;
            case BindOutcome.AlreadyBound:
                return ReportOutcome.AlreadyBound;
            case BindOutcome.NoSuchSlot:
                return ReportOutcome.NoSuchSlot;
        }
        Slot slot;
        lock (_gate)
        {
            slot = _slots.Find(candidate => candidate.Id == slotId) ?? Adopt(slotId, owner, now, bound.Tools);
            slot.EndsAt = slot.StartedAt + MaxSessionLength;
        }
        BindHere(slot, callId, NegotiationMode.Direct);
        return ReportOutcome.Bound;
    }

    /// <summary>A slot reserved by another instance, reported here: this instance runs its call's controller.</summary>
    private Slot Adopt(string slotId, string owner, DateTimeOffset now, IReadOnlyList<string> toolNames)
    {
        var slot = new Slot(slotId, owner, now, now + MaxSessionLength, allTools.For(toolNames));
        _slots.Add(slot);
        return slot;
    }

    /// <summary>Removes the owner's call (wherever it was started); false when it is not theirs or not known.</summary>
    public async Task<bool> TryEndAsync(string owner, string callId)
    {
        if (await store.EndCallAsync(owner, callId) is not { } slotId)
            return false;
        RemoveHere(slot => slot.Id == slotId);
        return true;
    }

    /// <summary>The owner's live call, or null when it is not theirs or its controller runs on another instance.</summary>
    public CallController? ControllerOf(string owner, string callId)
    {
        lock (_gate)
            return _slots.Find(slot => slot.Owner == owner && slot.CallId == callId)?.Controller;
    }

    /// <summary>
    /// The owner's call's status: from its controller when it runs here, otherwise what the instance running
    /// it last published with the shared slot (at most a second old); null when it is not theirs or not known.
    /// </summary>
    public async Task<CallStatus?> StatusAsync(string owner, string callId) =>
        ControllerOf(owner, callId) is { } controller ? CallStatus.Of(controller) : await store.StatusAsync(owner, callId);

    /// <summary>The calls whose controller runs on this instance, with their slots.</summary>
    public IReadOnlyList<(string SlotId, CallController Controller)> ControllersHere()
    {
        lock (_gate)
            return [.. _slots.Where(slot => slot.Controller is not null).Select(slot => (slot.Id, slot.Controller!))];
    }

    /// <summary>The call's controller is made when its id is known, and from then on belongs to the slot.</summary>
    private void BindHere(Slot slot, string callId, NegotiationMode mode)
    {
        lock (_gate)
        {
            slot.CallId = callId;
            slot.Controller = controllers.Open(callId, slot.Owner, slot.Tools, forget: () => Forget(slot));
        }
        leases.Hold(new LeasedCall(callId, slot.Id, slot.Owner, slot.StartedAt, slot.EndsAt, [.. slot.Tools.Select(tool => tool.Name)], mode, Record: null));
    }

    /// <summary>
    /// A live call whose instance died, claimed by this one: its slot (still in the store, still counted)
    /// is held here from now on, and a new controller reopens the call's sideband. False when its controller
    /// already runs here. (A Direct call's slot may be here without a controller: its secret was minted here.)
    /// </summary>
    public bool TakeOver(LeasedCall call)
    {
        Slot? slot;
        lock (_gate)
        {
            slot = _slots.Find(candidate => candidate.Id == call.SlotId);
            if (slot?.Controller is not null)
                return false;
            if (slot is null)
            {
                slot = new Slot(call.SlotId, call.Owner, call.StartedAt, call.EndsAt, allTools.For(call.Tools));
                _slots.Add(slot);
            }
            slot.EndsAt = call.EndsAt;
        }
        BindHere(slot, call.CallId, call.Mode);
        return true;
    }

    /// <summary>Another instance holds the call now (this one failed to renew its lease in time): its controller here closes, the call goes on there.</summary>
    public void LetGo(string callId) => RemoveHere(slot => slot.CallId == callId);

    /// <summary>The call ended on its own (its sideband closed): it no longer counts anywhere.</summary>
    private bool Forget(Slot slot)
    {
        _ = ForgetSharedAsync(slot);
        return RemoveHere(candidate => candidate == slot) > 0;
    }

    /// <summary>Not waited for: the controller that ended is closing, and nobody waits on its slot.</summary>
    private async Task ForgetSharedAsync(Slot slot)
    {
        try
        {
            await store.RemoveAsync(slot.Id);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // The shared slot lapses at its end; the reaper's hang-up of an ended call is harmless.
            LogForgetFailed(logger, slot.CallId, ex.GetType().Name);
        }
    }

    /// <summary>Every local removal goes through here, so no controller outlives its slot.</summary>
    private int RemoveHere(Predicate<Slot> match)
    {
        List<Slot> removed;
        lock (_gate)
        {
            removed = _slots.FindAll(match);
            _slots.RemoveAll(match);
        }
        foreach (var slot in removed)
        {
            if (slot.Controller is { } controller)
                controllers.Close(controller);
            if (slot.CallId is { } callId)
                leases.Release(callId);
        }
        return removed.Count;
    }

    /// <summary>
    /// With Redis, once per lease renewal: moves the end of every slot a connection open here holds a lease
    /// length ahead (one round trip for all), registering again any that lapsed or was lost while Redis could
    /// not be reached: a live connection keeps counting, and is never ended for an outage. Returns the WebSocket
    /// calls of those registered again: another instance may have taken them for lost and ended their records.
    /// </summary>
    public IReadOnlyList<string> RenewOpenSlots()
    {
        if (store.OpenSlotHold is not { } hold)
            return [];
        List<Slot> open;
        lock (_gate)
            open = _slots.FindAll(slot => slot.Renewed);
        if (open.Count == 0)
            return [];
        var now = time.GetUtcNow();
        var restored = store.Renew(
            [.. open.Select(slot => new StoredSlot(slot.Id, slot.Owner, slot.StartedAt, now + hold, [.. slot.Tools.Select(tool => tool.Name)], slot.SocketCall))], now + hold, now);
        if (restored.Count == 0)
            return [];
        LogOpenSlotsRestored(logger, restored.Count);
        return [.. open.Where(slot => slot.SocketCall is not null && restored.Contains(slot.Id)).Select(slot => slot.SocketCall!)];
    }

    /// <summary>What a sweep found past its end: calls to hang up, and WebSocket calls whose instance died (their records are ended).</summary>
    public sealed record ExpiredCalls(IReadOnlyList<string> HangUp, IReadOnlyList<string> SocketsLost);

    /// <summary>
    /// Calls past their end, removed from the registry (each handed to exactly one instance's reaper,
    /// whichever instance started it); the caller hangs them up. Also closes this instance's controllers
    /// of calls another instance ended, and registers again the slots the store lost (Redis restarted
    /// empty), so live calls keep counting and can still be hung up from anywhere. Slots renewed by an open
    /// connection are left to <see cref="RenewOpenSlots"/>: one that lapsed while Redis was away is registered
    /// again there, and only its connection closing gives it back.
    /// </summary>
    public ExpiredCalls TakeExpiredCalls()
    {
        var expired = store.TakeExpired(time.GetUtcNow());
        List<Slot> here;
        HashSet<string> openHere;
        lock (_gate)
        {
            here = _slots.FindAll(slot => !slot.Renewed);
            openHere = [.. _slots.Where(slot => slot.Renewed).Select(slot => slot.Id)];
        }
        var check = here.Count > 0 ? store.Check([.. here.Select(slot => slot.Id)]) : new SlotCheck([], []);
        var removed = expired.Select(slot => slot.SlotId).Concat(check.Ended).ToHashSet(StringComparer.Ordinal);
        if (removed.Count > 0)
            RemoveHere(slot => removed.Contains(slot.Id) && !slot.Renewed);
        foreach (var slot in here.Where(slot => check.Lost.Contains(slot.Id) && !removed.Contains(slot.Id)))
        {
            store.Restore(new StoredSlot(slot.Id, slot.Owner, slot.StartedAt, slot.EndsAt, [.. slot.Tools.Select(tool => tool.Name)]), slot.CallId);
            LogRestored(logger, slot.CallId);
        }
        return new(
            [.. expired.Where(slot => slot.CallId is not null).Select(slot => slot.CallId!)],
            [.. expired.Where(slot => slot.SocketCall is not null && !openHere.Contains(slot.SlotId)).Select(slot => slot.SocketCall!)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The shared store had lost the session of call {CallId}; registered it again")]
    private static partial void LogRestored(ILogger logger, string? callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The shared store had lost or let lapse the slots of {Count} WebSocket calls open here; registered them again")]
    private static partial void LogOpenSlotsRestored(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} ended; its shared slot could not be released ({Failure}) and lapses at its end")]
    private static partial void LogForgetFailed(ILogger logger, string? callId, string failure);
}
