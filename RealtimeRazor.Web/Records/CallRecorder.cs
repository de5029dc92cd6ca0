using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Web.Records;

/// <summary>
/// Turns the server events each call's controller receives on the sideband into record changes and
/// queues them; never waits and never throws, so recording cannot slow or break a call. The queue is
/// bounded (<see cref="RecordsOptions.QueueCapacity"/>): when the database has been away long enough to
/// fill it, newer changes are dropped and counted (see <see cref="RecordsHealth"/>).
/// </summary>
public sealed class CallRecorder
{
    private readonly RecordsOptions _options;
    private readonly RealtimeOptions _realtime;
    private readonly TimeProvider _time;
    private readonly RecordsHealth _health;
    private readonly Channel<RecordOp> _queue;
    private readonly ConcurrentDictionary<string, CallDescription> _described = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LiveCall> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _handedOver = new(StringComparer.Ordinal);

    /// <summary>What recording needs to remember about a live call between its events.</summary>
    private sealed class LiveCall
    {
        public readonly ConcurrentDictionary<string, long> ToolStarted = new(StringComparer.Ordinal);
    }

    public CallRecorder(IOptions<RecordsOptions> options, IOptions<RealtimeOptions> realtime, TimeProvider time, RecordsHealth health)
    {
        _options = options.Value;
        _realtime = realtime.Value;
        _time = time;
        _health = health;
        _queue = Channel.CreateBounded<RecordOp>(new BoundedChannelOptions(_options.Enabled ? _options.QueueCapacity : 1)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    internal ChannelReader<RecordOp> Queue => _queue.Reader;

    internal int Queued => _queue.Reader.Count;

    /// <summary>Told by the endpoint that started the call, before its controller hears anything.</summary>
    public void Describe(string callId, CallDescription call)
    {
        if (!_options.Enabled)
            return;
        _handedOver.TryRemove(callId, out _);
        _described[callId] = call;
    }

    /// <summary>How the call was described, for an instance that may take it over (the record itself is found by the call id).</summary>
    public CallDescription? DescriptionOf(string callId) => _described.GetValueOrDefault(callId);

    /// <summary>Another instance runs the call from now on and records it on: nothing here ends its record.</summary>
    public void HandedOver(string callId)
    {
        if (!_options.Enabled)
            return;
        _handedOver[callId] = 0;
        _described.TryRemove(callId, out _);
        _live.TryRemove(callId, out _);
    }

    /// <summary>A described call that never started (its report was refused): nothing of it is kept.</summary>
    public void Forget(string callId) => _described.TryRemove(callId, out _);

    /// <summary>Every server event of a call, as its controller receives it.</summary>
    public void Observe(string callId, string owner, JsonNode? serverEvent)
    {
        if (!_options.Enabled || serverEvent is not JsonObject || _handedOver.ContainsKey(callId))
            return;
        try
        {
            Record(callId, owner, serverEvent);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException)
        {
            // A malformed event is OpenAI's problem, never the call's: nothing of it is recorded.
        }
    }

    /// <summary>The call's controller closed: the record gets its end, and the call's memory here goes.</summary>
    public void Ended(string callId, string reason)
    {
        if (_handedOver.TryRemove(callId, out _))
            return;
        _described.TryRemove(callId, out _);
        if (_live.TryRemove(callId, out _))
            Enqueue(new EndOp(callId, Now, reason));
    }

    /// <summary>A WebSocket call whose instance died (its slot lapsed unrenewed): its record ends now, as nothing else will end it.</summary>
    public void Lost(string callId)
    {
        if (_options.Enabled)
            Enqueue(new EndOp(callId, Now, RecordWriter.InstanceLost));
    }

    /// <summary>A WebSocket call of this instance was taken for lost while Redis was out of its reach: its record goes on.</summary>
    public void StillLive(string callId)
    {
        if (_options.Enabled && _live.ContainsKey(callId) && _described.TryGetValue(callId, out var call))
            Enqueue(new BeginOp(callId, call, Now));
    }

    /// <summary>The server is stopping: every live call's record ends here (the calls may go on at OpenAI).</summary>
    internal void EndAll(string reason)
    {
        foreach (var callId in _live.Keys)
            Ended(callId, reason);
    }

    internal void CompleteQueue() => _queue.Writer.TryComplete();

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    private void Record(string callId, string owner, JsonNode serverEvent)
    {
        switch (serverEvent["type"]?.GetValue<string>())
        {
            case "conversation.item.added":
                Added(callId, owner, serverEvent["item"], serverEvent["previous_item_id"]?.GetValue<string>());
                break;
            case "conversation.item.done":
                if (serverEvent["item"] is { } done && done["id"]?.GetValue<string>() is { } doneId)
                {
                    if (TextOf(done) is { Length: > 0 } text)
                        Enqueue(new TextOp(callId, doneId, text));
                    else if (done["type"]?.GetValue<string>() == "function_call" && done["arguments"]?.GetValue<string>() is { } arguments)
                        Enqueue(new ToolArgumentsOp(callId, doneId, arguments));
                }
                break;
            case "response.output_item.done":
                // The controller starts tools from here; the call is recorded even if its item.added was missed.
                if (serverEvent["item"] is { } output && output["type"]?.GetValue<string>() == "function_call")
                    Added(callId, owner, output, previousItemId: null);
                break;
            case "response.output_audio_transcript.done":
            case "conversation.item.input_audio_transcription.completed":
                if (serverEvent["item_id"]?.GetValue<string>() is { } itemId && serverEvent["transcript"]?.GetValue<string>() is { Length: > 0 } transcript)
                    Enqueue(new TextOp(callId, itemId, transcript));
                break;
            case "conversation.item.truncated":
                if (serverEvent["item_id"]?.GetValue<string>() is { } cutId)
                    Enqueue(new CutOp(callId, cutId, serverEvent["audio_end_ms"]?.GetValue<int>()));
                break;
            case "response.function_call_arguments.done":
                if (serverEvent["item_id"]?.GetValue<string>() is { } callItemId && serverEvent["arguments"]?.GetValue<string>() is { } args)
                    Enqueue(new ToolArgumentsOp(callId, callItemId, args));
                break;
            case "response.done":
                if (serverEvent["response"]?["usage"] is JsonObject usage)
                {
                    Begin(callId, owner);
                    var tokens = TokenUsage.Parse(usage.Deserialize<JsonElement>());
                    var cost = _realtime.Prices.GetValueOrDefault(_realtime.PricedModel)?.Cost(tokens) ?? 0m;
                    Enqueue(new UsageOp(callId, tokens.Input, tokens.Output, tokens.Total, (long)Math.Round(cost * 1_000_000m)));
                }
                break;
        }
    }

    private void Added(string callId, string owner, JsonNode? item, string? previousItemId)
    {
        if (item?["id"]?.GetValue<string>() is not { Length: > 0 } itemId)
            return;
        switch (item["type"]?.GetValue<string>())
        {
            case "message" when item["role"]?.GetValue<string>() is "user" or "assistant":
                Begin(callId, owner);
                var role = item["role"]!.GetValue<string>() == "user" ? ItemRole.User : ItemRole.Assistant;
                Enqueue(new ItemOp(callId, itemId, previousItemId, role, TextOf(item), Now));
                break;
            case "function_call" when item["call_id"]?.GetValue<string>() is { Length: > 0 } toolCallId:
                var call = Begin(callId, owner);
                call.ToolStarted.TryAdd(toolCallId, _time.GetTimestamp());
                Enqueue(new ItemOp(callId, itemId, previousItemId, ItemRole.Tool, null, Now,
                    item["name"]?.GetValue<string>(), toolCallId, item["arguments"]?.GetValue<string>()));
                break;
            case "function_call_output" when item["call_id"]?.GetValue<string>() is { Length: > 0 } answeredId:
                var answered = Begin(callId, owner);
                var output = item["output"]?.GetValue<string>() ?? "";
                int? duration = answered.ToolStarted.TryRemove(answeredId, out var started) ? (int)_time.GetElapsedTime(started).TotalMilliseconds : null;
                Enqueue(new ToolOutputOp(callId, answeredId, output, IsFailure(output), duration));
                break;
        }
    }

    /// <summary>The first recordable event of a call makes its record; a call with nothing said leaves none.</summary>
    private LiveCall Begin(string callId, string owner)
    {
        if (_live.TryGetValue(callId, out var live))
            return live;
        live = new LiveCall();
        if (!_live.TryAdd(callId, live))
            return _live[callId];
        var call = _described.TryGetValue(callId, out var described)
            ? described
            : new CallDescription(owner, "webrtc", _realtime.Model, null, _realtime.Voice);
        Enqueue(new BeginOp(callId, call, Now));
        return live;
    }

    /// <summary>The text of a message item: typed text, or the transcript of what was said.</summary>
    private static string? TextOf(JsonNode item) =>
        (item["content"] as JsonArray ?? [])
            .Select(part => part?["text"]?.GetValue<string>() ?? part?["transcript"]?.GetValue<string>())
            .FirstOrDefault(text => !string.IsNullOrEmpty(text));

    /// <summary>The tool invoker answers a failure as <c>{"error":"…"}</c>.</summary>
    private static bool IsFailure(string output)
    {
        try
        {
            return JsonNode.Parse(output) is JsonObject answer && answer.ContainsKey("error");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void Enqueue(RecordOp op)
    {
        if (!_queue.Writer.TryWrite(op))
            _health.Dropped();
    }
}
