using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime.Calls;

namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// The sessions this server has started and not yet seen end: enforces the concurrency caps and
/// tells the reaper which calls outlived <c>Realtime:MaxSessionMinutes</c>. A slot owns its call's
/// controller: whichever way the call ends, removing the slot closes the controller and its sideband.
/// </summary>
public sealed class SessionRegistry(TimeProvider time, IOptions<AccessOptions> access, IOptions<RealtimeOptions> realtime, CallControllers controllers)
{
    private readonly Lock _gate = new();
    private readonly List<Slot> _slots = [];

    public sealed class Slot
    {
        internal Slot(string owner, DateTimeOffset startedAt, DateTimeOffset endsAt, IReadOnlyList<AIFunction> tools)
        {
            Owner = owner;
            StartedAt = startedAt;
            EndsAt = endsAt;
            Tools = tools;
        }

        /// <summary>
        /// Unguessable: a Direct-mode page names its slot with it when it reports its call. Together with
        /// the owner check it keeps one user from binding a call to, or guessing, anyone else's slot.
        /// </summary>
        public string Id { get; } = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

        public string Owner { get; }
        public DateTimeOffset StartedAt { get; }
        public DateTimeOffset EndsAt { get; internal set; }
        public string? CallId { get; internal set; }

        /// <summary>The tools the session was created with: its controller answers only these.</summary>
        public IReadOnlyList<AIFunction> Tools { get; }

        public CallController? Controller { get; internal set; }
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
    /// refused when a cap is reached.
    /// </summary>
    public Refusable<Lease> Reserve(string owner, TimeSpan holdFor, IReadOnlyList<AIFunction> tools)
    {
        lock (_gate)
        {
            RemoveEnded();
            if (_slots.Count(slot => slot.Owner == owner) >= access.Value.MaxSessionsPerUser)
                return Refusal.Of(ProblemCode.TooManySessions, ("maxSessionsPerUser", access.Value.MaxSessionsPerUser));
            if (_slots.Count >= access.Value.MaxSessions)
                return Refusal.Of(ProblemCode.SiteAtCapacity);
            var now = time.GetUtcNow();
            var slot = new Slot(owner, now, now + holdFor, tools);
            _slots.Add(slot);
            return new Lease(this, slot);
        }
    }

    /// <summary>
    /// A reserved slot while its session is being started: disposing it gives the slot back unless
    /// <see cref="Keep"/> was called, so a refused or failed start never holds a slot.
    /// </summary>
    public sealed class Lease : IDisposable
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
        public void Keep(string? callId = null)
        {
            if (callId is not null)
            {
                lock (_registry._gate)
                    _registry.Bind(_slot, callId);
            }
            _kept = true;
        }

        public void Dispose()
        {
            if (_kept)
                return;
            _kept = true;
            lock (_registry._gate)
                _registry.Remove(slot => slot == _slot);
        }
    }

    /// <summary>
    /// Direct mode: binds the call the page started with its secret to the slot reserved when the secret
    /// was minted. From then on the slot is held for the maximum session length, counted from that
    /// reservation (the call cannot have started earlier), and the call is hung up when it ends.
    /// </summary>
    public ReportOutcome TryReport(string owner, string slotId, string callId)
    {
        lock (_gate)
        {
            var slot = _slots.Find(candidate => candidate.Id == slotId);
            if (slot is null || slot.Owner != owner || (slot.CallId is null && slot.EndsAt <= time.GetUtcNow()))
                return ReportOutcome.NoSuchSlot;
            if (slot.CallId == callId)
                return ReportOutcome.Bound;
            if (slot.CallId is not null || _slots.Exists(other => other.CallId == callId))
                return ReportOutcome.AlreadyBound;
            slot.EndsAt = slot.StartedAt + MaxSessionLength;
            Bind(slot, callId);
            return ReportOutcome.Bound;
        }
    }

    /// <summary>Removes the owner's call; false when it is not theirs or not known here.</summary>
    public bool TryEnd(string owner, string callId)
    {
        lock (_gate)
            return Remove(slot => slot.Owner == owner && slot.CallId == callId) > 0;
    }

    /// <summary>The owner's live call, or null when it is not theirs or not known here.</summary>
    public CallController? ControllerOf(string owner, string callId)
    {
        lock (_gate)
            return _slots.Find(slot => slot.Owner == owner && slot.CallId == callId)?.Controller;
    }

    /// <summary>The call's controller is made when its id is known, and from then on belongs to the slot.</summary>
    private void Bind(Slot slot, string callId)
    {
        slot.CallId = callId;
        slot.Controller = controllers.Open(callId, slot.Owner, slot.Tools, forget: () =>
        {
            lock (_gate)
                return Remove(candidate => candidate.CallId == callId) > 0;
        });
    }

    /// <summary>Every removal goes through here, so no controller outlives its slot.</summary>
    private int Remove(Predicate<Slot> match)
    {
        var removed = _slots.FindAll(match);
        _slots.RemoveAll(match);
        foreach (var slot in removed)
        {
            if (slot.Controller is { } controller)
                controllers.Close(controller);
        }
        return removed.Count;
    }

    /// <summary>Calls past their end, removed from the registry; the caller hangs them up.</summary>
    public IReadOnlyList<string> TakeExpiredCalls()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var expired = _slots.Where(slot => slot.EndsAt <= now).ToList();
            Remove(expired.Contains);
            return expired.Where(slot => slot.CallId is not null).Select(slot => slot.CallId!).ToList();
        }
    }

    private void RemoveEnded()
    {
        var now = time.GetUtcNow();
        // Slots without a call (Direct-mode secrets never reported) just lapse; calls are left for the reaper to hang up.
        Remove(slot => slot.CallId is null && slot.EndsAt <= now);
    }
}
