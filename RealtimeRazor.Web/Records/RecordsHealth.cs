using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RealtimeRazor.Web.Records;

/// <summary>How the records' database is doing, for operators on /readyz: calls go on either way.</summary>
public sealed class RecordsHealth(TimeProvider time)
{
    private long _dropped;
    private DateTimeOffset? _failingSince;

    /// <summary>Changes dropped because the queue was full (the database was away too long); since start.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    public DateTimeOffset? FailingSince => _failingSince;

    internal void Dropped() => Interlocked.Increment(ref _dropped);

    internal void Failed() => _failingSince ??= time.GetUtcNow();

    internal void Succeeded() => _failingSince = null;
}

/// <summary>Degraded (not unhealthy): the instance still serves calls while the records wait or are dropped.</summary>
public sealed class RecordsHealthCheck(RecordsHealth health, CallRecorder recorder) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var dropped = health.DroppedCount;
        if (health.FailingSince is { } since)
            return Task.FromResult(HealthCheckResult.Degraded(
                $"The records database cannot be written since {since:u}; {recorder.Queued} changes wait, {dropped} were dropped."));
        return Task.FromResult(dropped > 0
            ? HealthCheckResult.Degraded($"{dropped} record changes were dropped while the records database was unavailable.")
            : HealthCheckResult.Healthy());
    }
}
