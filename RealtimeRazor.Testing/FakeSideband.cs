using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RealtimeRazor.Testing;

/// <summary>A sideband handshake as the fake saw it: the call it named and whether it was let in.</summary>
public sealed record SidebandHandshake(string Path, string? CallId, string? Authorization, int Status);

/// <summary>
/// OpenAI's sideband, on the fake's own Kestrel: <c>GET /v1/realtime?call_id=…</c> upgraded to a WebSocket
/// with the server's bearer key, as OpenAI documents it (Azure: below <c>/openai/v1</c>, its <c>api-key</c> header). A call that was hung up answers 404
/// <c>call_id_not_found</c>, and hanging up closes its sockets, as the end of a call does at OpenAI.
/// Tests bridge it to the fake WebRTC peer (<see cref="OnClientEvent"/>, <see cref="SendAsync"/>).
/// It answers <c>conversation.item.retrieve</c> itself, as OpenAI does, from the items of the events it was
/// given to send (whether or not a socket was open to hear them).
/// </summary>
public sealed class FakeSideband(string pathBase)
{
    private readonly ConcurrentDictionary<WebSocket, string> _open = new();
    private readonly ConcurrentDictionary<string, bool> _ended = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SidebandHandshake> _handshakes = new();
    private readonly ConcurrentQueue<(string CallId, string Json)> _received = new();
    /// <summary>The conversation's items by id, as the newest event carrying each had it.</summary>
    private readonly ConcurrentDictionary<string, JsonNode> _items = new(StringComparer.Ordinal);

    /// <summary>Answers every handshake with this status instead of opening (0: open normally).</summary>
    public int RefuseWith { get; set; }

    /// <summary>Each client event the server sends, in order; awaited before the next is read.</summary>
    public Func<string, Task>? OnClientEvent { get; set; }

    /// <summary>
    /// Each client event with the call it came on (load runs, many calls at once); awaited like
    /// <see cref="OnClientEvent"/>, so it must be quick.
    /// </summary>
    public Func<string, string, Task>? OnCallEvent { get; set; }

    /// <summary>Told the call id as each socket opens (the benchmark times the opening against the answer).</summary>
    public Action<string>? OnOpen { get; set; }

    /// <summary>False for load runs: client events are handed to the handlers only, not kept without end.</summary>
    public bool KeepReceived { get; set; } = true;

    public IReadOnlyList<SidebandHandshake> Handshakes => [.. _handshakes];

    /// <summary>Client events received from the server, as JSON text.</summary>
    public IReadOnlyList<string> Received => [.. _received.Select(entry => entry.Json)];

    public int OpenSockets => _open.Count;

    /// <summary>The calls with an open socket (a call joined twice counts once).</summary>
    public IReadOnlySet<string> OpenCalls => _open.Values.ToHashSet(StringComparer.Ordinal);

    /// <summary>Registered in the fake's pipeline ahead of WireMock.</summary>
    /// <param name="sessions">OpenAI's Realtime WebSocket interface, on the same path: it takes the handshakes that name a model.</param>
    internal void Use(IApplicationBuilder app, FakeRealtimeSocket sessions)
    {
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            if (sessions.Handles(context))
                await sessions.AcceptAsync(context);
            else if (context.Request.Path == pathBase + "/realtime" && context.WebSockets.IsWebSocketRequest)
                await AcceptAsync(context);
            else
                await next(context);
        });
    }

    /// <summary>The call ended at OpenAI: its sockets close cleanly and it can no longer be joined.</summary>
    internal void End(string callId)
    {
        _ended[callId] = true;
        foreach (var (socket, id) in _open)
        {
            if (id == callId)
                _ = CloseAsync(socket);
        }
    }

    /// <summary>Sends a server event to every open sideband (the fake runs one call at a time).</summary>
    public async Task SendAsync(string json)
    {
        Remember(json);
        var bytes = Encoding.UTF8.GetBytes(json);
        // One send at a time, in call order: the peer's bridge calls this for each event without waiting.
        await _sending.WaitAsync();
        try
        {
            foreach (var socket in _open.Keys)
            {
                try
                {
                    await socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
                {
                    // A socket dropped by the test.
                }
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    private readonly SemaphoreSlim _sending = new(1, 1);

    /// <summary>Sends a server event on the sockets of one call only (load runs, many calls at once); the caller sends one at a time per call.</summary>
    public async Task SendAsync(string callId, string json)
    {
        Remember(json);
        var bytes = Encoding.UTF8.GetBytes(json);
        foreach (var (socket, id) in _open)
        {
            if (id != callId)
                continue;
            try
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
            {
                // Dropped meanwhile.
            }
        }
    }

    /// <summary>Drops every socket as a network failure would: no close frame.</summary>
    public void Drop()
    {
        foreach (var socket in _open.Keys)
            socket.Abort();
    }

    private async Task AcceptAsync(HttpContext context)
    {
        var callId = context.Request.Query["call_id"].FirstOrDefault();
        var authorization = context.Request.Headers.Authorization.FirstOrDefault()
            ?? (context.Request.Headers["api-key"].FirstOrDefault() is { } key ? "api-key " + key : null);
        var status = RefuseWith != 0 ? RefuseWith
            : authorization != $"Bearer {FakeOpenAI.ApiKey}" && authorization != $"api-key {FakeOpenAI.ApiKey}" ? StatusCodes.Status401Unauthorized
            : string.IsNullOrEmpty(callId) ? StatusCodes.Status400BadRequest
            : _ended.ContainsKey(callId) ? StatusCodes.Status404NotFound
            : StatusCodes.Status101SwitchingProtocols;
        _handshakes.Enqueue(new SidebandHandshake(context.Request.Path, callId, authorization, status));
        if (status != StatusCodes.Status101SwitchingProtocols)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var code = status == StatusCodes.Status404NotFound ? "call_id_not_found" : "scripted_failure";
            await context.Response.WriteAsync($$$"""{"error":{"type":"invalid_request_error","code":"{{{code}}}","message":"refused"}}""");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        _open[socket] = callId!;
        OnOpen?.Invoke(callId!);
        try
        {
            await ReceiveAsync(socket, callId!);
        }
        finally
        {
            _open.TryRemove(socket, out _);
        }
    }

    private async Task ReceiveAsync(WebSocket socket, string callId)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(socket);
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                    continue;
                var json = Encoding.UTF8.GetString(message.ToArray());
                message.SetLength(0);
                if (KeepReceived)
                    _received.Enqueue((callId, json));
                if (Retrieved(json) is { } answer)
                    await socket.SendAsync(Encoding.UTF8.GetBytes(answer), WebSocketMessageType.Text, true, CancellationToken.None);
                if (OnClientEvent is { } handler)
                    await handler(json);
                if (OnCallEvent is { } callHandler)
                    await callHandler(callId, json);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            // Dropped: by the test, or by the server going away.
        }
    }

    /// <summary>Keeps the items a server event carries, for <c>conversation.item.retrieve</c>.</summary>
    private void Remember(string json)
    {
        if (!json.Contains("\"item\"", StringComparison.Ordinal) && !json.Contains("\"output\"", StringComparison.Ordinal))
            return;
        var node = JsonNode.Parse(json);
        var items = node?["type"]?.GetValue<string>() == "response.done"
            ? (node["response"]?["output"] as JsonArray ?? []).ToList()
            : [node?["item"]];
        foreach (var item in items)
        {
            if (item?["id"]?.GetValue<string>() is { } id)
                _items[id] = item.DeepClone();
        }
    }

    /// <summary>
    /// OpenAI's answer to a <c>conversation.item.retrieve</c>: the item, or an <c>error</c> when the
    /// conversation has no such item; null for any other client event.
    /// </summary>
    private string? Retrieved(string json)
    {
        if (!json.Contains("conversation.item.retrieve", StringComparison.Ordinal))
            return null;
        var node = JsonNode.Parse(json);
        if (node?["type"]?.GetValue<string>() != "conversation.item.retrieve")
            return null;
        var itemId = node["item_id"]?.GetValue<string>();
        var eventId = $"event_retrieved{Interlocked.Increment(ref _retrievals)}";
        return (itemId is not null && _items.TryGetValue(itemId, out var item)
            ? new JsonObject { ["type"] = "conversation.item.retrieved", ["event_id"] = eventId, ["item"] = item.DeepClone() }
            : new JsonObject
            {
                ["type"] = "error",
                ["event_id"] = eventId,
                ["error"] = new JsonObject
                {
                    ["type"] = "invalid_request_error",
                    ["code"] = "item_not_found",
                    ["message"] = $"Item with item_id '{itemId}' not found.",
                    ["param"] = "item_id",
                    ["event_id"] = node["event_id"]?.DeepClone(),
                },
            }).ToJsonString();
    }

    private int _retrievals;

    private static async Task CloseAsync(WebSocket socket)
    {
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "call ended", CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
        }
    }
}
