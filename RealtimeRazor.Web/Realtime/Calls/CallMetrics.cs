using System.Diagnostics.Metrics;

namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>
/// The call controllers' own measurements, for any metrics listener (OpenTelemetry, dotnet-counters, the
/// benchmark's <see cref="MeterListener"/>). Recording a histogram nobody listens to costs next to nothing.
/// </summary>
public static class CallMetrics
{
    public const string MeterName = "RealtimeRazor.Calls";
    public const string EventHandlingName = "realtimerazor.call.event.handling";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>How long the controller's receive loop spends on one server event (records included), before reading the next.</summary>
    internal static readonly Histogram<double> EventHandling = Meter.CreateHistogram<double>(EventHandlingName, "ms",
        "Time the call controller spends handling one server event");
}
