using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RealtimeRazor.Testing;

/// <summary>A Realtime WebSocket handshake as the fake saw it.</summary>
public sealed record RealtimeSocketHandshake(string Path, string? Model, string? Authorization, int Status);

/// <summary>
/// OpenAI's Realtime WebSocket interface, on the fake's own Kestrel: <c>GET /v1/realtime?model=…</c> upgraded
/// with the server's bearer key (Azure: below <c>/openai/v1</c>, its <c>api-key</c> header), as documented. It
/// greets with <c>session.created</c>, answers <c>session.update</c> with <c>session.updated</c>, echoes added items,
/// measures the PCM16 24 kHz audio of each <c>input_audio_buffer.append</c>, and, like server VAD, answers a stretch
/// of speech followed by silence with a scripted turn in OpenAI's order: the user's transcript, then a reply whose
/// audio is a tone (<see cref="ReplySeconds"/> long, sent faster than real time, as OpenAI does). A
/// <c>conversation.item.truncate</c> is honoured and answered with <c>conversation.item.truncated</c>.
/// </summary>
public sealed class FakeRealtimeSocket(string pathBase)
{
    public const int SampleRate = 24_000;
    public const string UserTranscript = "Hello there, how are you?";
    public const string ReplyTranscript = "I am fine, thank you for asking.";
    /// <summary>A 20 ms window of appended audio louder than this (RMS, full scale 1) counts as speech.</summary>
    public const double SpeechThreshold = 0.02;

    private readonly ConcurrentDictionary<WebSocket, Session> _open = new();
    private readonly ConcurrentQueue<RealtimeSocketHandshake> _handshakes = new();
    /// <summary>
    /// Guards what the fake records of each client event: its text, its audio's length and loudness, a truncation.
    /// All of it is recorded in one step before the event is answered, so a test that sees an event received also
    /// sees everything it measured (counting the audio after listing the event once made an append look lost).
    /// </summary>
    private readonly Lock _record = new();
    private readonly List<string> _received = [];
    private readonly List<JsonObject> _truncations = [];
    private int _sessions;
    private int _turns;
    private long _appendedSamples;
    private long _loudWindows;

    /// <summary>Answers every handshake with this status instead of opening (0: open normally).</summary>
    public int RefuseWith { get; set; }

    /// <summary>Whether a stretch of speech then silence is answered with a scripted turn (server VAD), as OpenAI's default.</summary>
    public bool AnswerSpeech { get; set; } = true;

    /// <summary>How long the scripted reply's audio lasts.</summary>
    public double ReplySeconds { get; set; } = 4;

    /// <summary>Whether each session's first <c>session.update</c> is answered with a scripted reply at once, as the fake WebRTC peer speaks as soon as a call starts: the benchmark's first audio.</summary>
    public bool SpeakFirst { get; set; }

    /// <summary>While true, nothing is read from the sockets: a stalled upstream, for backpressure tests.</summary>
    public bool Stalled { get; set; }

    public IReadOnlyList<RealtimeSocketHandshake> Handshakes => [.. _handshakes];

    /// <summary>Client events received, as JSON text, in order.</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_record)
                return [.. _received];
        }
    }

    public IReadOnlyList<JsonElement> ReceivedOfType(string type) =>
        [.. Received.Select(json => JsonDocument.Parse(json).RootElement).Where(e => e.TryGetProperty("type", out var t) && t.GetString() == type)];

    /// <summary>The truncations asked for (<c>item_id</c>, <c>audio_end_ms</c>), in order.</summary>
    public IReadOnlyList<JsonObject> Truncations
    {
        get
        {
            lock (_record)
                return [.. _truncations];
        }
    }

    public int OpenSockets => _open.Count;

    /// <summary>Milliseconds of audio received in appends, and how much of it was speech (above <see cref="SpeechThreshold"/>).</summary>
    public (double ReceivedMs, double SpeechMs) Audio
    {
        get
        {
            lock (_record)
                return (_appendedSamples * 1000.0 / SampleRate, _loudWindows * 20.0);
        }
    }

    public int Turns => _turns;

    /// <summary>
    /// Called with each append's PCM16 as it arrives (before the fake parses it), and the
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp of its arrival: the benchmark reads the send time it wrote into the audio.
    /// </summary>
    public Action<byte[], long>? AppendArrived { get; set; }

    /// <summary>Forgets the client events received so far (a long benchmark would otherwise keep every append).</summary>
    public void ForgetReceived()
    {
        lock (_record)
            _received.Clear();
    }

    /// <summary>
    /// Streams <c>response.output_audio.delta</c> on every open socket at real time, one <paramref name="chunk"/> of
    /// silence each period until <paramref name="stop"/>, each carrying in its first 8 bytes the
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp it was sent at: how OpenAI's audio flows once a reply has started.
    /// </summary>
    public Task StreamAudioAsync(TimeSpan chunk, CancellationToken stop) => Task.WhenAll(_open.Values.Select(async session =>
    {
        var pcm = new byte[(int)(SampleRate * chunk.TotalSeconds) * 2];
        using var timer = new PeriodicTimer(chunk);
        try
        {
            while (await timer.WaitForNextTickAsync(stop) && session.Socket.State == WebSocketState.Open)
            {
                BitConverter.TryWriteBytes(pcm, System.Diagnostics.Stopwatch.GetTimestamp());
                await session.SendAsync(new JsonObject
                {
                    ["type"] = "response.output_audio.delta", ["event_id"] = session.NextEventId(), ["response_id"] = "resp_stream",
                    ["item_id"] = "item_stream", ["output_index"] = 0, ["content_index"] = 0, ["delta"] = Convert.ToBase64String(pcm),
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }));

    /// <summary>Handles the handshakes that name a model (a call's sideband names a <c>call_id</c> instead).</summary>
    internal bool Handles(HttpContext context) =>
        context.Request.Path == pathBase + "/realtime" && context.WebSockets.IsWebSocketRequest && !context.Request.Query.ContainsKey("call_id");

    internal async Task AcceptAsync(HttpContext context)
    {
        var model = context.Request.Query["model"].FirstOrDefault();
        var authorization = context.Request.Headers.Authorization.FirstOrDefault()
            ?? (context.Request.Headers["api-key"].FirstOrDefault() is { } key ? "api-key " + key : null);
        var status = RefuseWith != 0 ? RefuseWith
            : authorization != $"Bearer {FakeOpenAI.ApiKey}" && authorization != $"api-key {FakeOpenAI.ApiKey}" ? StatusCodes.Status401Unauthorized
            : string.IsNullOrEmpty(model) ? StatusCodes.Status400BadRequest
            : StatusCodes.Status101SwitchingProtocols;
        _handshakes.Enqueue(new RealtimeSocketHandshake(context.Request.Path, model, authorization, status));
        if (status != StatusCodes.Status101SwitchingProtocols)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"error":{"type":"invalid_request_error","code":"scripted_failure","message":"refused"}}""");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var session = new Session(socket, $"sess_fake{Interlocked.Increment(ref _sessions)}", model!);
        _open[socket] = session;
        try
        {
            await session.SendAsync(new JsonObject
            {
                ["type"] = "session.created",
                ["event_id"] = session.NextEventId(),
                ["session"] = new JsonObject { ["id"] = session.Id, ["type"] = "realtime", ["model"] = model, ["output_modalities"] = new JsonArray("audio") },
            });
            await ReceiveAsync(session);
        }
        finally
        {
            _open.TryRemove(socket, out _);
        }
    }

    /// <summary>Sends a server event on every open socket.</summary>
    public async Task SendAsync(string json)
    {
        foreach (var session in _open.Values)
            await session.SendAsync(JsonNode.Parse(json)!.AsObject());
    }

    /// <summary>Plays one scripted turn on every open socket now, as if server VAD had heard the user finish (with <see cref="AnswerSpeech"/> off).</summary>
    public async Task ReplyAsync()
    {
        foreach (var session in _open.Values)
            await TurnAsync(session);
    }

    /// <summary>Closes every socket from OpenAI's side, as the end of a session does.</summary>
    public async Task CloseAllAsync()
    {
        foreach (var socket in _open.Keys)
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "session ended", CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    public void Drop()
    {
        foreach (var socket in _open.Keys)
            socket.Abort();
    }

    private async Task ReceiveAsync(Session session)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (session.Socket.State == WebSocketState.Open)
            {
                while (Stalled)
                    await Task.Delay(20);
                var result = await session.Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await session.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                    continue;
                var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
                var json = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                var clientEvent = JsonNode.Parse(json)!.AsObject();
                var loudWindows = Record(json, clientEvent, arrived);
                await HandleAsync(session, clientEvent, loudWindows);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
        }
    }

    /// <summary>Records a client event whole (see <see cref="_record"/>); returns an append's 20 ms windows, true where loud.</summary>
    private bool[] Record(string json, JsonObject clientEvent, long arrived)
    {
        var type = (string?)clientEvent["type"];
        var pcm = type == "input_audio_buffer.append" ? Convert.FromBase64String((string)clientEvent["audio"]!) : [];
        if (type == "input_audio_buffer.append")
            AppendArrived?.Invoke(pcm, arrived);
        var loudWindows = Loudness(pcm);
        lock (_record)
        {
            _received.Add(json);
            if (type == "input_audio_buffer.append")
            {
                _appendedSamples += pcm.Length / 2;
                _loudWindows += loudWindows.Count(loud => loud);
            }
            else if (type == "conversation.item.truncate")
            {
                _truncations.Add(clientEvent.DeepClone().AsObject());
            }
        }
        return loudWindows;
    }

    /// <summary>PCM16 cut into 20 ms windows: whether each is louder than <see cref="SpeechThreshold"/>.</summary>
    private static bool[] Loudness(byte[] pcm)
    {
        const int window = SampleRate / 50;
        var loud = new bool[pcm.Length / 2 / window];
        for (var w = 0; w < loud.Length; w++)
        {
            double sum = 0;
            for (var i = w * window; i < (w + 1) * window; i++)
            {
                var sample = BitConverter.ToInt16(pcm, i * 2) / 32768.0;
                sum += sample * sample;
            }
            loud[w] = Math.Sqrt(sum / window) > SpeechThreshold;
        }
        return loud;
    }

    private async Task HandleAsync(Session session, JsonObject clientEvent, bool[] loudWindows)
    {
        switch ((string?)clientEvent["type"])
        {
            case "session.update":
                await session.SendAsync(new JsonObject { ["type"] = "session.updated", ["event_id"] = session.NextEventId(), ["session"] = clientEvent["session"]!.DeepClone() });
                if (SpeakFirst && session.Turn == 0)
                    await TurnAsync(session);
                break;
            case "input_audio_buffer.append":
                await HearAsync(session, loudWindows);
                break;
            case "conversation.item.create":
                var item = clientEvent["item"]!.DeepClone().AsObject();
                item["id"] ??= $"item_echo{session.NextEventId()}";
                item["status"] = "completed";
                await session.SendAsync(new JsonObject { ["type"] = "conversation.item.added", ["event_id"] = session.NextEventId(), ["previous_item_id"] = session.LastItemId, ["item"] = item });
                session.LastItemId = (string?)item["id"];
                break;
            case "conversation.item.truncate":
                await session.SendAsync(new JsonObject
                {
                    ["type"] = "conversation.item.truncated",
                    ["event_id"] = session.NextEventId(),
                    ["item_id"] = clientEvent["item_id"]?.DeepClone(),
                    ["content_index"] = clientEvent["content_index"]?.DeepClone(),
                    ["audio_end_ms"] = clientEvent["audio_end_ms"]?.DeepClone(),
                });
                break;
            case "input_audio_buffer.commit" when !AnswerSpeech:
                await session.SendAsync(new JsonObject { ["type"] = "input_audio_buffer.committed", ["event_id"] = session.NextEventId(), ["item_id"] = $"item_user{session.Turn}" });
                break;
        }
    }

    /// <summary>Server VAD, roughly: 300 ms of speech, then 500 ms of silence, ends the user's turn.</summary>
    private async Task HearAsync(Session session, bool[] loudWindows)
    {
        foreach (var loud in loudWindows)
        {
            if (loud)
            {
                if (session.SpeechMs == 0 && AnswerSpeech)
                    await session.SendAsync(new JsonObject { ["type"] = "input_audio_buffer.speech_started", ["event_id"] = session.NextEventId(), ["audio_start_ms"] = 0, ["item_id"] = $"item_user{session.Turn + 1}" });
                session.SpeechMs += 20;
                session.SilenceMs = 0;
            }
            else if (session.SpeechMs > 0)
            {
                session.SilenceMs += 20;
                if (session.SilenceMs >= 500 && session.SpeechMs >= 300 && AnswerSpeech)
                {
                    session.SpeechMs = 0;
                    session.SilenceMs = 0;
                    await TurnAsync(session);
                }
                else if (session.SilenceMs >= 500)
                {
                    session.SpeechMs = 0;
                }
            }
        }
    }

    /// <summary>One user turn and the assistant's reply, in the order OpenAI sends them.</summary>
    private async Task TurnAsync(Session session)
    {
        var turn = ++session.Turn;
        Interlocked.Increment(ref _turns);
        var userItem = $"item_user{turn}";
        var replyItem = $"item_reply{turn}";
        var response = $"resp_{turn}";
        async Task Send(string type, JsonObject? fields = null)
        {
            var serverEvent = new JsonObject { ["type"] = type, ["event_id"] = session.NextEventId() };
            foreach (var (name, value) in fields ?? [])
                serverEvent[name] = value?.DeepClone();
            await session.SendAsync(serverEvent);
        }
        JsonObject Part(string field, JsonNode? value) => new() { ["response_id"] = response, ["item_id"] = replyItem, ["output_index"] = 0, ["content_index"] = 0, [field] = value };

        await Send("input_audio_buffer.speech_stopped", new() { ["audio_end_ms"] = 1000, ["item_id"] = userItem });
        await Send("input_audio_buffer.committed", new() { ["previous_item_id"] = session.LastItemId, ["item_id"] = userItem });
        await Send("conversation.item.added", new()
        {
            ["previous_item_id"] = session.LastItemId,
            ["item"] = new JsonObject { ["id"] = userItem, ["type"] = "message", ["role"] = "user", ["status"] = "completed", ["content"] = new JsonArray(new JsonObject { ["type"] = "input_audio", ["transcript"] = null }) },
        });
        session.LastItemId = userItem;
        await Send("conversation.item.input_audio_transcription.completed", new() { ["item_id"] = userItem, ["content_index"] = 0, ["transcript"] = UserTranscript });
        await Send("response.created", new() { ["response"] = new JsonObject { ["id"] = response, ["status"] = "in_progress", ["output"] = new JsonArray() } });
        var assistant = new JsonObject { ["id"] = replyItem, ["type"] = "message", ["role"] = "assistant", ["status"] = "in_progress", ["content"] = new JsonArray() };
        await Send("response.output_item.added", new() { ["response_id"] = response, ["output_index"] = 0, ["item"] = assistant.DeepClone() });
        await Send("conversation.item.added", new() { ["previous_item_id"] = userItem, ["item"] = assistant.DeepClone() });
        session.LastItemId = replyItem;
        await Send("response.content_part.added", new() { ["response_id"] = response, ["item_id"] = replyItem, ["output_index"] = 0, ["content_index"] = 0, ["part"] = new JsonObject { ["type"] = "audio", ["transcript"] = "" } });
        foreach (var word in ReplyTranscript.Split(' '))
            await Send("response.output_audio_transcript.delta", Part("delta", word + " "));
        var chunks = (int)Math.Ceiling(ReplySeconds * 10);
        for (var chunk = 0; chunk < chunks; chunk++)
            await Send("response.output_audio.delta", Part("delta", Tone(chunk, SampleRate / 10)));
        await Send("response.output_audio.done", Part("status", "completed"));
        await Send("response.output_audio_transcript.done", Part("transcript", ReplyTranscript));
        await Send("response.content_part.done", new() { ["response_id"] = response, ["item_id"] = replyItem, ["output_index"] = 0, ["content_index"] = 0, ["part"] = new JsonObject { ["type"] = "audio", ["transcript"] = ReplyTranscript } });
        var done = new JsonObject { ["id"] = replyItem, ["type"] = "message", ["role"] = "assistant", ["status"] = "completed", ["content"] = new JsonArray(new JsonObject { ["type"] = "output_audio", ["transcript"] = ReplyTranscript }) };
        await Send("response.output_item.done", new() { ["response_id"] = response, ["output_index"] = 0, ["item"] = done });
        await Send("response.done", new()
        {
            ["response"] = new JsonObject
            {
                ["id"] = response,
                ["status"] = "completed",
                ["output"] = new JsonArray(done.DeepClone()),
                ["usage"] = new JsonObject
                {
                    ["total_tokens"] = 300, ["input_tokens"] = 100, ["output_tokens"] = 200,
                    ["input_token_details"] = new JsonObject { ["text_tokens"] = 20, ["audio_tokens"] = 80, ["cached_tokens"] = 0 },
                    ["output_token_details"] = new JsonObject { ["text_tokens"] = 40, ["audio_tokens"] = 160 },
                },
            },
        });
    }

    /// <summary>A 440 Hz tone at half scale, PCM16 little-endian, base64: what the page must play.</summary>
    private static string Tone(int chunk, int samples)
    {
        var pcm = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            var t = (chunk * samples + i) / (double)SampleRate;
            BitConverter.TryWriteBytes(pcm.AsSpan(i * 2), (short)(Math.Sin(2 * Math.PI * 440 * t) * 16384));
        }
        return Convert.ToBase64String(pcm);
    }

    private sealed class Session(WebSocket socket, string id, string model)
    {
        private readonly SemaphoreSlim _sending = new(1, 1);
        private int _events;

        public WebSocket Socket { get; } = socket;
        public string Id { get; } = id;
        public string Model { get; } = model;
        public string? LastItemId { get; set; }
        public int Turn { get; set; }
        public int SpeechMs { get; set; }
        public int SilenceMs { get; set; }

        public string NextEventId() => $"event_{Interlocked.Increment(ref _events)}";

        public async Task SendAsync(JsonObject serverEvent)
        {
            var bytes = Encoding.UTF8.GetBytes(serverEvent.ToJsonString());
            await _sending.WaitAsync();
            try
            {
                await Socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
            {
            }
            finally
            {
                _sending.Release();
            }
        }
    }
}
