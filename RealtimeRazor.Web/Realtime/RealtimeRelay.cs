using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using RealtimeRazor.Web.Realtime.Calls;

namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// One page's WebSocket call: the page's socket on one side, OpenAI's upstream socket (read by the call's
/// <see cref="CallController"/>, which hands each event on through <see cref="ForwardAsync"/>) on the other.
/// Client events are checked against what the page may send (<see cref="ClientEventFilter"/>); both directions
/// go through bounded queues, so a slow page or a slow upstream holds the other side back instead of growing
/// this server's memory. Whichever side ends, both sockets close.
/// </summary>
public sealed partial class RealtimeRelay(WebSocket browser, RealtimeOptions options, ILogger logger) : IDisposable
{
    /// <summary>PCM16 mono at this rate, both ways: the WebSocket interface's default format.</summary>
    public const int SampleRate = 24_000;

    /// <summary>The largest event a page may send: an append of a few seconds of audio, a carried-over transcript line.</summary>
    public const int MaxMessageBytes = 256 * 1024;

    /// <summary>Events waiting in each direction; a full queue makes its writer wait.</summary>
    public const int QueueLength = 32;

    /// <summary>The close reason when the call reached <c>Realtime:MaxSessionMinutes</c>: the page says so, as when its own countdown ends it.</summary>
    public const string TimeLimitReason = "time_limit";

    /// <summary>The close reason when this instance stops: the page's cue to reconnect (socket-session.ts).</summary>
    public const string ServerStoppingReason = "server_stopping";

    /// <summary>How long a page has to answer the close before its socket is dropped.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly Channel<byte[]> _toBrowser = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueLength) { SingleReader = true });
    private readonly Channel<byte[]> _toUpstream = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueLength) { SingleReader = true, SingleWriter = true });
    private readonly Lock _gate = new();
    /// <summary>Cancelled when the relay ends: a page event waiting for room upstream is then dropped, not waited on.</summary>
    private readonly CancellationTokenSource _ended = new();
    private (WebSocketCloseStatus Status, string Reason)? _close;

    /// <summary>An upstream event on its way to the page; waits while the page's queue is full.</summary>
    public async ValueTask ForwardAsync(ReadOnlyMemory<byte> message)
    {
        try
        {
            await _toBrowser.Writer.WriteAsync(message.ToArray());
        }
        catch (ChannelClosedException)
        {
            // The relay has ended: nothing more reaches the page.
        }
    }

    /// <summary>The call ended on the server's side (OpenAI closed, a tool hung up, the budget ran out).</summary>
    public Task EndAsync()
    {
        End(WebSocketCloseStatus.NormalClosure, "call ended");
        return Task.CompletedTask;
    }

    /// <summary>Runs until either side ends or <paramref name="timeLimit"/> passes; returns once the page's socket is closed (or dropped).</summary>
    public async Task RunAsync(CallController controller, TimeSpan timeLimit, CancellationToken stopping)
    {
        // Going away, not ending: the page reconnects, through another instance, with the conversation so far.
        using var stopped = stopping.Register(() => End(WebSocketCloseStatus.EndpointUnavailable, ServerStoppingReason));
        using var expiry = new CancellationTokenSource(timeLimit);
        using var expired = expiry.Token.Register(() => End(WebSocketCloseStatus.NormalClosure, TimeLimitReason));
        var upstream = SendUpstreamAsync(controller);
        var reading = ReadBrowserAsync();
        await SendBrowserAsync();
        if (await Task.WhenAny(reading, Task.Delay(CloseGrace, CancellationToken.None)) != reading)
            browser.Abort();
        _toUpstream.Writer.TryComplete();
        await reading;
        // What the page sent before it went still goes to OpenAI, unless OpenAI has stopped reading: then
        // closing the call's controller (next, by the caller) cancels that send, so a stalled upstream
        // never keeps the call's slot.
        await Task.WhenAny(upstream, Task.Delay(CloseGrace, CancellationToken.None));
    }

    /// <summary>After the call's controller is closed: nothing of the relay runs any more.</summary>
    public void Dispose() => _ended.Dispose();

    private void End(WebSocketCloseStatus status, string reason)
    {
        lock (_gate)
        {
            if (_close is not null)
                return;
            _close = (status, reason);
        }
        _toBrowser.Writer.TryComplete();
        _ended.Cancel();
    }

    /// <summary>The page's events, checked one by one: allowed ones go upstream in order, refused ones get an <c>error</c> back.</summary>
    private async Task ReadBrowserAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (true)
            {
                var result = await browser.ReceiveAsync(buffer.GetMemory(8 * 1024), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    End(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    End(WebSocketCloseStatus.InvalidMessageType, "text frames only");
                    return;
                }
                buffer.Advance(result.Count);
                if (buffer.WrittenCount > MaxMessageBytes)
                {
                    LogOversized(logger, MaxMessageBytes);
                    End(WebSocketCloseStatus.MessageTooBig, $"events are limited to {MaxMessageBytes / 1024} KiB");
                    return;
                }
                if (!result.EndOfMessage)
                    continue;
                var verdict = ClientEventFilter.Check(buffer.WrittenSpan, options);
                if (verdict.Refusal is { } refusal)
                {
                    LogRefused(logger, verdict.Type ?? "(none)");
                    await _toBrowser.Writer.WriteAsync(refusal, _ended.Token);
                }
                else
                {
                    await _toUpstream.Writer.WriteAsync(buffer.WrittenSpan.ToArray(), _ended.Token);
                }
                buffer.ResetWrittenCount();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ChannelClosedException or OperationCanceledException)
        {
            End(WebSocketCloseStatus.NormalClosure, "");
        }
        finally
        {
            _toUpstream.Writer.TryComplete();
        }
    }

    private async Task SendUpstreamAsync(CallController controller)
    {
        try
        {
            await foreach (var message in _toUpstream.Reader.ReadAllAsync())
                await controller.SendAsync(message);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            End(WebSocketCloseStatus.EndpointUnavailable, "OpenAI connection lost");
        }
    }

    /// <summary>Drains what is queued for the page, then closes its socket with the reason the relay ended for.</summary>
    private async Task SendBrowserAsync()
    {
        try
        {
            await foreach (var message in _toBrowser.Reader.ReadAllAsync())
                await browser.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var (status, reason) = _close ?? (WebSocketCloseStatus.NormalClosure, "");
            if (browser.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseGrace);
                await browser.CloseOutputAsync(status, reason, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            End(WebSocketCloseStatus.NormalClosure, "");
            browser.Abort();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A page sent a WebSocket event over {MaxBytes} bytes; its call is closed")]
    private static partial void LogOversized(ILogger logger, int maxBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a page's {EventType} event; it was not forwarded")]
    private static partial void LogRefused(ILogger logger, string eventType);
}

/// <summary>
/// What a page may send on the WebSocket transport, as in Relay mode: audio, commits, clears, responses
/// without overrides, text messages, MCP approvals and truncation; a <c>session.update</c> only of the turn
/// detection (push-to-talk), and of the instructions when custom instructions are allowed. Everything else
/// is answered with an <c>error</c> event and never forwarded: the page cannot change the session's model,
/// voice, tools or instructions behind the operator's back, nor answer the server's function calls.
/// </summary>
public static class ClientEventFilter
{
    public const string RefusedCode = "client_event_refused";

    private static readonly HashSet<string> Envelope = new(StringComparer.Ordinal) { "type", "event_id" };

    /// <param name="Type">The event's type, for the log; null when it had none.</param>
    /// <param name="Refusal">The <c>error</c> event for the page, or null when the event may go upstream.</param>
    public readonly record struct Verdict(string? Type, byte[]? Refusal);

    public static Verdict Check(ReadOnlySpan<byte> message, RealtimeOptions options)
    {
        JsonObject? clientEvent;
        try
        {
            clientEvent = JsonNode.Parse(message) as JsonObject;
        }
        catch (JsonException)
        {
            return Refuse(null, null, "Events must be JSON objects.");
        }
        if (clientEvent is null)
            return Refuse(null, null, "Events must be JSON objects.");
        var type = Text(clientEvent["type"]);
        var eventId = Text(clientEvent["event_id"]);
        var problem = type switch
        {
            null => "An event needs a type.",
            "input_audio_buffer.append" => Only(clientEvent, "audio") ?? (Text(clientEvent["audio"]) is null ? "audio must be base64 text." : null),
            "input_audio_buffer.commit" or "input_audio_buffer.clear" or "response.create" => Only(clientEvent),
            "response.cancel" => Only(clientEvent, "response_id"),
            "conversation.item.truncate" => Only(clientEvent, "item_id", "content_index", "audio_end_ms"),
            "conversation.item.create" => Only(clientEvent, "item", "previous_item_id") ?? CheckItem(clientEvent["item"]),
            "session.update" => Only(clientEvent, "session") ?? CheckSession(clientEvent["session"], options),
            _ => $"This server does not forward {type} events.",
        };
        return problem is null ? new Verdict(type, null) : Refuse(type, eventId, problem);
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string? Only(JsonObject node, params string[] allowed) =>
        node.Select(property => property.Key).FirstOrDefault(key => !Envelope.Contains(key) && !allowed.Contains(key)) is { } extra
            ? $"{extra} may not be set by the page."
            : null;

    /// <summary>Text messages (typed, or carried over from an earlier session) and answers to MCP approval requests.</summary>
    private static string? CheckItem(JsonNode? item)
    {
        if (item is not JsonObject fields)
            return "item must be an object.";
        switch (Text(fields["type"]))
        {
            case "mcp_approval_response":
                return OnlyFields(fields, "type", "id", "approval_request_id", "approve");
            case "message":
                if (OnlyFields(fields, "type", "id", "role", "content") is { } extra)
                    return extra;
                if (Text(fields["role"]) is not ("user" or "assistant"))
                    return "Only user and assistant messages may be added.";
                if (fields["content"] is not JsonArray parts || parts.Any(part => part is not JsonObject content || Text(content["type"]) is not ("input_text" or "output_text" or "text")))
                    return "Messages may only hold text.";
                return null;
            default:
                return "Only text messages and MCP approvals may be added.";
        }
    }

    private static string? OnlyFields(JsonObject node, params string[] allowed) =>
        node.Select(property => property.Key).FirstOrDefault(key => !allowed.Contains(key)) is { } extra ? $"{extra} may not be set by the page." : null;

    /// <summary>The turn detection (push-to-talk on and off), and the instructions only where the operator allows custom ones.</summary>
    private static string? CheckSession(JsonNode? session, RealtimeOptions options)
    {
        if (session is not JsonObject fields)
            return "session must be an object.";
        if (OnlyFields(fields, "type", "audio", "instructions") is { } extra)
            return extra;
        if (fields["instructions"] is { } instructions)
        {
            if (!options.AllowCustomInstructions)
                return "instructions may not be set by the page.";
            if (instructions is not JsonValue text || !text.TryGetValue<string>(out var value) || value.Length > RealtimeOptions.MaxCustomInstructions)
                return $"instructions must be text of at most {RealtimeOptions.MaxCustomInstructions} characters.";
        }
        if (fields["audio"] is null)
            return null;
        if (fields["audio"] is not JsonObject audio || OnlyFields(audio, "input") is not null
            || audio["input"] is not JsonObject input || OnlyFields(input, "turn_detection") is not null)
            return "Only audio.input.turn_detection may be changed by the page.";
        return input["turn_detection"] switch
        {
            null => null,
            JsonObject detection when Text(detection["type"]) is "server_vad" or "semantic_vad" => null,
            _ => "turn_detection must be null, server_vad or semantic_vad.",
        };
    }

    private static Verdict Refuse(string? type, string? eventId, string message)
    {
        var error = new JsonObject { ["type"] = "invalid_request_error", ["code"] = RefusedCode, ["message"] = message };
        if (eventId is not null)
            error["event_id"] = eventId;
        return new Verdict(type, Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "error", ["error"] = error }.ToJsonString()));
    }
}
