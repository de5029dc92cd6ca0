using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace RealtimeRazor.Tests.Infrastructure;

/// <summary>Every log event the app writes, rendered the way a sink would write it, for leak checks.</summary>
public sealed class LogCapture : ILogEventSink
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public void Emit(LogEvent logEvent)
    {
        using var writer = new StringWriter();
        new Serilog.Formatting.Compact.CompactJsonFormatter().Format(logEvent, writer);
        _lines.Enqueue(writer.ToString() + logEvent.RenderMessage() + logEvent.Exception);
    }
}
