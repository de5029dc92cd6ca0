using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using RealtimeRazor.Web.Realtime.Tools;

namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>
/// The server's half of one live call: it hears the call's server events, answers the model's function calls
/// with the session's tools, counts usage against the budgets, and ends the call when a tool asks to. Its
/// events come from one of two sockets: the sideband it opens itself onto a WebRTC call (OpenAI's WebSocket
/// onto the call, opened with the server key), or the upstream socket of a WebSocket call, whose events it
/// also hands on to the browser (see <see cref="RealtimeRelay"/>). Owned by the call's slot (WebRTC) or its
/// relay (WebSocket): disposing it closes everything it opened.
/// </summary>
public sealed partial class CallController : ICallControl, IAsyncDisposable
{
    private const int MaxMessageBytes = 4 * 1024 * 1024;

    private readonly CallControllerContext _context;
    private readonly string _owner;
    private readonly Lock _usageGate = new();
    private TokenUsage _usage;
    private decimal _costUsd;
    private readonly IReadOnlyList<AIFunction> _tools;
    private readonly Func<bool, Task> _end;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<string, Task<string>> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _answered = new(StringComparer.Ordinal);
    /// <summary>Items asked for with <c>conversation.item.retrieve</c>: each once, however often the page reports it.</summary>
    private readonly HashSet<string> _retrieved = new(StringComparer.Ordinal);
    /// <summary>Items reported while the sideband was down: asked for as soon as it is open again.</summary>
    private readonly List<string> _toRetrieve = [];
    private readonly IServiceProvider _toolServices;
    private readonly ToolInvoker _invoker;
    private ClientWebSocket? _socket;
    /// <summary>WebSocket calls: the upstream socket the relay opened, and where each of its events goes on to the browser.</summary>
    private readonly (ClientWebSocket Upstream, Func<ReadOnlyMemory<byte>, ValueTask> Forward)? _relay;
    private Task _run = Task.CompletedTask;
    private HangUpStage _hangUp = HangUpStage.None;
    private int _disposed;

    private enum HangUpStage { None, AfterNextReply, AfterPlayback, Done }

    /// <param name="end">Ends the call's slot; true also hangs the call up at OpenAI.</param>
    /// <param name="relay">A WebSocket call's upstream socket and its way on to the browser; null for a WebRTC call's sideband.</param>
    internal CallController(string callId, string owner, IReadOnlyList<AIFunction> tools, CallControllerContext context, Func<bool, Task> end,
        (ClientWebSocket Upstream, Func<ReadOnlyMemory<byte>, ValueTask> Forward)? relay = null)
    {
        _relay = relay;
        CallId = callId;
        _owner = owner;
        _tools = tools;
        _context = context;
        _end = end;
        _invoker = new ToolInvoker(context.ToolTimeout, context.Logger);
        _toolServices = new ToolServices(this, context.Services);
    }

    public string CallId { get; }

    public SidebandState State { get; private set; } = SidebandState.Connecting;

    public int ToolCount => _tools.Count;

    /// <summary>The call's usage so far, as OpenAI reported it on the sideband, and what it cost.</summary>
    public (TokenUsage Usage, decimal CostUsd) Spent
    {
        get
        {
            lock (_usageGate)
                return (_usage, _costUsd);
        }
    }

    /// <summary>The owner's (or the site's) daily budget ran out during this call: it ends after the current reply.</summary>
    public bool BudgetSpent { get; private set; }

    /// <summary>How many times the sideband has been opened (the first time included).</summary>
    public int Connections { get; private set; }

    internal void Start() => _run = Task.Run(() => _relay is { } relay ? RelayAsync(relay.Upstream, _stopping.Token) : RunAsync(_stopping.Token));

    public void HangUpAfterReply()
    {
        lock (_running)
            _hangUp = HangUpStage.AfterNextReply;
    }

    /// <summary>Keeps the sideband open while the call lives: reconnects with backoff and never ends the call for it.</summary>
    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = _context.KeepAlive;
            socket.Options.CollectHttpResponseDetails = true;
            try
            {
                var (header, value) = await _context.Authentication.HeaderAsync(stopping);
                socket.Options.SetRequestHeader(header, value);
                await socket.ConnectAsync(_context.SidebandUrl(CallId), stopping);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested && ex is WebSocketException or HttpRequestException or IOException or UpstreamException)
            {
                if (socket.HttpStatusCode == HttpStatusCode.NotFound && Connections > 0)
                {
                    // OpenAI no longer knows a call it had: it ended there (the page left, or OpenAI closed it).
                    LogCallGone(_context.Logger, CallId);
                    _ = EndAsync(hangUp: false);
                    return;
                }
                failures++;
                State = SidebandState.Unavailable;
                LogOpenFailed(_context.Logger, CallId, (int)socket.HttpStatusCode, failures);
                if (!await DelayAsync(Backoff(failures), stopping))
                    return;
                continue;
            }
            catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or WebSocketException or HttpRequestException or IOException or UpstreamException)
            {
                // Disposed mid-connect: whatever the handshake ended with, the controller is done.
                return;
            }

            failures = 0;
            _socket = socket;
            Connections++;
            State = SidebandState.Open;
            LogOpened(_context.Logger, CallId, Connections);
            _ = RetrieveDeferredAsync();
            var closedByOpenAI = await ReceiveAsync(socket, stopping);
            _socket = null;
            if (stopping.IsCancellationRequested)
                return;
            if (closedByOpenAI)
            {
                // A clean close from OpenAI's side is the call ending there; a dropped socket is not.
                LogClosedByOpenAI(_context.Logger, CallId, socket.CloseStatus);
                _ = EndAsync(hangUp: false);
                return;
            }
            State = SidebandState.Connecting;
            LogDropped(_context.Logger, CallId);
            if (!await DelayAsync(Backoff(1), stopping))
                return;
        }
    }

    /// <summary>
    /// A WebSocket call lives exactly as long as its one upstream socket: it is never reopened (a new socket
    /// would be a new, empty session), and its end, whichever side closed, ends the call.
    /// </summary>
    private async Task RelayAsync(ClientWebSocket upstream, CancellationToken stopping)
    {
        _socket = upstream;
        Connections = 1;
        State = SidebandState.Open;
        var closedByOpenAI = await ReceiveAsync(upstream, stopping);
        if (stopping.IsCancellationRequested)
            return;
        if (closedByOpenAI)
            LogClosedByOpenAI(_context.Logger, CallId, upstream.CloseStatus);
        else
            LogDropped(_context.Logger, CallId);
        _ = EndAsync(hangUp: false);
    }

    private static TimeSpan Backoff(int failures) => TimeSpan.FromMilliseconds(Math.Min(5_000, 250 * Math.Pow(2, Math.Min(failures - 1, 5))));

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <returns>True when OpenAI closed the socket cleanly, false when it dropped.</returns>
    private async Task<bool> ReceiveAsync(ClientWebSocket socket, CancellationToken stopping)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.GetMemory(8 * 1024), stopping);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseQuietlyAsync(socket);
                    return socket.CloseStatus == WebSocketCloseStatus.NormalClosure;
                }
                buffer.Advance(result.Count);
                if (buffer.WrittenCount > MaxMessageBytes)
                {
                    LogOversized(_context.Logger, CallId);
                    socket.Abort();
                    return false;
                }
                if (!result.EndOfMessage)
                    continue;
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    var started = Stopwatch.GetTimestamp();
                    OnEvent(buffer.WrittenMemory);
                    CallMetrics.EventHandling.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (_relay is { } relay)
                        await relay.Forward(buffer.WrittenMemory);
                }
                buffer.ResetWrittenCount();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Every server event of the call, on either transport, in arrival order.</summary>
    private void OnEvent(ReadOnlyMemory<byte> message)
    {
        // Most of a WebSocket call's events are audio: what this method acts on is told by the type alone.
        if (!Handled.Contains(TypeOf(message.Span) ?? string.Empty))
            return;
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(message.Span);
        }
        catch (JsonException)
        {
            return;
        }
        _context.Records.Observe(CallId, _owner, node);
        var type = node?["type"]?.GetValue<string>();
        switch (type)
        {
            case "response.output_item.done":
                if (ToFunctionCall(node!["item"]) is { } call)
                    StartTool(call);
                break;
            case "response.done":
                Count(node!["response"]?["usage"]);
                var calls = (node!["response"]?["output"] as JsonArray ?? []).Select(ToFunctionCall).OfType<FunctionCall>().ToList();
                if (calls.Count > 0)
                {
                    foreach (var started in calls)
                        StartTool(started);
                    _ = AnswerAsync(calls);
                }
                else
                {
                    OnReplyDone();
                }
                break;
            case "conversation.item.retrieved":
                // OpenAI's own copy of an item the page reported unanswered: its arguments are OpenAI's, not the page's.
                if (node!["item"] is { } item && (item["status"]?.GetValue<string>() is null or "completed") && ToFunctionCall(item) is { } missed && StartTool(missed))
                    _ = AnswerAsync([missed]);
                break;
            case "output_audio_buffer.stopped":
                OnPlaybackStopped();
                break;
            case "error":
                LogOpenAIError(_context.Logger, CallId, node!["error"]?["code"]?.GetValue<string>());
                break;
        }
    }

    /// <summary>What this controller acts on, and what the call's record keeps (<see cref="Records.CallRecorder"/>).</summary>
    private static readonly HashSet<string> Handled = new(StringComparer.Ordinal)
    {
        "response.output_item.done", "response.done", "output_audio_buffer.stopped", "error", "conversation.item.retrieved",
        "conversation.item.added", "conversation.item.done", "response.output_audio_transcript.done",
        "conversation.item.input_audio_transcription.completed", "conversation.item.truncated", "response.function_call_arguments.done",
    };

    /// <summary>The event's top-level <c>type</c>, read without building the document (null when there is none, or it is not JSON).</summary>
    internal static string? TypeOf(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                if (!reader.Read())
                    return null;
                if (isType)
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The server's own count of what the call costs, from each reply's usage (the page's figures are only
    /// shown to its user). Past the owner's or the site's budget, the call ends after the current reply.
    /// </summary>
    private void Count(JsonNode? usage)
    {
        if (usage is not JsonObject)
            return;
        var tokens = TokenUsage.Parse(usage.Deserialize<JsonElement>());
        var cost = _context.Price?.Cost(tokens) ?? 0m;
        lock (_usageGate)
        {
            _usage += tokens;
            _costUsd += cost;
        }
        if (!_context.Ledger.Add(_owner, cost) || BudgetSpent)
            return;
        BudgetSpent = true;
        LogBudgetSpent(_context.Logger, CallId);
        lock (_running)
        {
            if (_hangUp == HangUpStage.None)
                _hangUp = HangUpStage.AfterNextReply;
        }
    }

    private static FunctionCall? ToFunctionCall(JsonNode? item) =>
        item?["type"]?.GetValue<string>() == "function_call"
        && item["call_id"]?.GetValue<string>() is { Length: > 0 } callId
        && item["name"]?.GetValue<string>() is { Length: > 0 } name
            ? new FunctionCall(callId, name, item["arguments"]?.GetValue<string>() ?? "")
            : null;

    /// <summary>Started as soon as the item is done, so a slow tool overlaps the rest of the response.</summary>
    /// <returns>False when the call is already running or answered here: each call_id runs once.</returns>
    private bool StartTool(FunctionCall call)
    {
        lock (_running)
        {
            if (_answered.Contains(call.CallId) || _running.ContainsKey(call.CallId))
                return false;
            _running[call.CallId] = Task.Run(() => _invoker.InvokeAsync(call, _tools, _toolServices, _stopping.Token));
            return true;
        }
    }

    /// <summary>
    /// The page saw the model's function call <paramref name="itemId"/> go unanswered: it came while no
    /// controller heard the call (its instance died, this one had not yet taken over). The item is asked of
    /// OpenAI; a function call it turns out to be runs through the normal tool path, unless it already ran here.
    /// </summary>
    public async Task RetrieveAsync(string itemId)
    {
        lock (_running)
        {
            // Bounded by what a call can hold: one ask per item, however often it is reported.
            if (_retrieved.Count >= MaxRetrieved || !_retrieved.Add(itemId))
                return;
        }
        LogRetrieving(_context.Logger, CallId);
        await SendRetrieveAsync(itemId);
    }

    private async Task SendRetrieveAsync(string itemId)
    {
        try
        {
            await SendAsync(new JsonObject { ["type"] = "conversation.item.retrieve", ["item_id"] = itemId });
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The sideband is down (a survivor still reopening it, a drop): asked for once it is open again.
            if (_stopping.IsCancellationRequested)
                return;
            lock (_running)
                _toRetrieve.Add(itemId);
        }
    }

    private async Task RetrieveDeferredAsync()
    {
        List<string> deferred;
        lock (_running)
        {
            deferred = [.. _toRetrieve];
            _toRetrieve.Clear();
        }
        foreach (var itemId in deferred)
            await SendRetrieveAsync(itemId);
    }

    private const int MaxRetrieved = 1_000;

    /// <summary>Every call of the response gets its output, then one <c>response.create</c> lets the model speak the results.</summary>
    private async Task AnswerAsync(IReadOnlyList<FunctionCall> calls)
    {
        try
        {
            foreach (var call in calls)
            {
                Task<string> output;
                lock (_running)
                {
                    if (!_answered.Add(call.CallId))
                        continue;
                    output = _running[call.CallId];
                }
                var text = await output;
                lock (_running)
                    _running.Remove(call.CallId);
                await SendAsync(new JsonObject
                {
                    ["type"] = "conversation.item.create",
                    ["item"] = new JsonObject { ["type"] = "function_call_output", ["call_id"] = call.CallId, ["output"] = text },
                });
            }
            await SendAsync(new JsonObject { ["type"] = "response.create" });
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            LogAnswerLost(_context.Logger, CallId);
        }
    }

    private Task SendAsync(JsonObject clientEvent) => SendAsync(Encoding.UTF8.GetBytes(clientEvent.ToJsonString()));

    /// <summary>One client event upstream; the relay sends the browser's through here too, so the controller's never interleave with them.</summary>
    internal async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await _sendLock.WaitAsync(_stopping.Token);
        try
        {
            var socket = _socket ?? throw new WebSocketException(WebSocketError.InvalidState);
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, _stopping.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>A reply without function calls finished generating: if it was the farewell, wait for it to play.</summary>
    private void OnReplyDone()
    {
        lock (_running)
        {
            if (_hangUp != HangUpStage.AfterNextReply)
                return;
            _hangUp = HangUpStage.AfterPlayback;
        }
        // OpenAI reports the end of playback on WebRTC calls; the grace covers a report that never comes.
        _ = Task.Delay(_context.FarewellGrace, _stopping.Token).ContinueWith(_ => HangUpNow(), TaskScheduler.Default);
    }

    private void OnPlaybackStopped()
    {
        lock (_running)
        {
            if (_hangUp != HangUpStage.AfterPlayback)
                return;
        }
        HangUpNow();
    }

    private void HangUpNow()
    {
        lock (_running)
        {
            if (_hangUp != HangUpStage.AfterPlayback || _stopping.IsCancellationRequested)
                return;
            _hangUp = HangUpStage.Done;
        }
        LogHangingUp(_context.Logger, CallId);
        _ = EndAsync(hangUp: true);
    }

    /// <summary>Off the receive loop: ending the slot disposes this controller, which waits for that loop.</summary>
    private Task EndAsync(bool hangUp) => Task.Run(async () =>
    {
        try
        {
            await _end(hangUp);
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException)
        {
            LogEndFailed(_context.Logger, CallId);
        }
    });

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        // Disposed: a WebSocket call's relay may have closed its upstream first, as the host stops.
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stopping.CancelAsync();
        if (_socket is { } socket)
            await CloseQuietlyAsync(socket);
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }
        _relay?.Upstream.Dispose();
        _context.Records.Ended(CallId, BudgetSpent ? "budget_spent" : "ended");
        LogClosed(_context.Logger, CallId);
        _stopping.Dispose();
    }

    /// <summary>What a tool's <see cref="IServiceProvider"/> parameter resolves: this call's control, then the app's services.</summary>
    private sealed class ToolServices(ICallControl call, IServiceProvider services) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(ICallControl) ? call : services.GetService(serviceType);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sideband of call {CallId} open (connection {Connection})")]
    private static partial void LogOpened(ILogger logger, string callId, int connection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sideband of call {CallId} could not be opened (HTTP {Status}, attempt {Attempt}); tools are unavailable until it opens")]
    private static partial void LogOpenFailed(ILogger logger, string callId, int status, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sideband of call {CallId} dropped; reopening")]
    private static partial void LogDropped(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "OpenAI closed the sideband of call {CallId} ({CloseStatus}); the call has ended")]
    private static partial void LogClosedByOpenAI(ILogger logger, string callId, WebSocketCloseStatus? closeStatus);

    [LoggerMessage(Level = LogLevel.Information, Message = "OpenAI no longer knows call {CallId}; the call has ended")]
    private static partial void LogCallGone(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sideband of call {CallId} sent a message over the size cap; reopening")]
    private static partial void LogOversized(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAI reported error {ErrorCode} on the sideband of call {CallId}")]
    private static partial void LogOpenAIError(ILogger logger, string callId, string? errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A tool answer for call {CallId} could not be sent: the sideband was down")]
    private static partial void LogAnswerLost(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The page of call {CallId} reported a function call unanswered; asking OpenAI for it")]
    private static partial void LogRetrieving(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} asked to end; hanging up after the farewell")]
    private static partial void LogHangingUp(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} reached its daily budget; hanging up after the current reply")]
    private static partial void LogBudgetSpent(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ending call {CallId} failed")]
    private static partial void LogEndFailed(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller of call {CallId} closed")]
    private static partial void LogClosed(ILogger logger, string callId);
}
