namespace RealtimeRazor.Tests.Support;

/// <summary>A clock a test moves by hand: lifetimes measured in minutes are checked without waiting for them.</summary>
public sealed class ManualClock : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
            _now += by;
    }
}
