using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RealtimeRazor.Tests.Records;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Records;
using RealtimeRazor.Web.Scale;
using Xunit.Abstractions;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// A WebSocket-transport call's session slot, on two real app processes sharing a real Redis, with one session
/// per user: the slot counts for as long as the socket lives (Redis outages included), and no longer than a few
/// seconds after its instance dies.
/// </summary>
public sealed class SocketSlotTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string SocketPath = "/api/realtime/socket";

    private static readonly Dictionary<string, string> OneSessionPerUser = new()
    {
        ["Realtime__Transports"] = "WebSocket",
        ["Access__MaxSessionsPerUser"] = "1",
        // The cap is asked again and again below: the start rate limit is not what is tested.
        ["Access__RateLimit__SessionsPerWindow"] = "1000",
    };

    private SharedRedisSite site = null!;

    public async Task InitializeAsync() => site = await SharedRedisSite.StartAsync();

    public async Task DisposeAsync() => await site.DisposeAsync();

    [Fact]
    public async Task A_dead_instances_WebSocket_call_gives_its_slot_back_within_seconds_so_the_user_can_call_again_through_another()
    {
        var (a, b) = await site.StartTwoAsync(OneSessionPerUser);
        await using (var call = await Page.OpenAsync(a))
        {
            await call.UntilAsync("session.updated");
            // The user's one session is in use, on every instance.
            Assert.Equal("too_many_sessions", await WhyNotAsync(b));

            // Killed, as a crash or a lost machine ends it: nothing of it gives the slot back.
            var carrier = site.Apps[0];
            site.Apps.Remove(carrier);
            carrier.Dispose();
            var killed = Stopwatch.StartNew();

            await UntilAsync(async () => await WhyNotAsync(b) == "web_socket_required", "the dead instance's slot to lapse", TimeSpan.FromSeconds(10));
            output.WriteLine($"Slot given back {killed.Elapsed.TotalSeconds:0.0} s after the kill (lease TTL {RedisCallLeases.Ttl.TotalSeconds} s)");
        }

        await using var again = await Page.OpenAsync(b);
        await again.UntilAsync("session.updated");
        Assert.Equal("too_many_sessions", await WhyNotAsync(b));
    }

    [Fact]
    public async Task The_record_of_a_dead_instances_WebSocket_call_ends_when_its_slot_lapses()
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        var records = await postgres.CreateDatabaseAsync();
        var (a, _) = await site.StartTwoAsync(new Dictionary<string, string>(OneSessionPerUser)
        {
            ["Records__Enabled"] = "true",
            ["Records__Provider"] = "PostgreSQL",
            ["ConnectionStrings__Records"] = records,
        });
        var upstream = site.Fake.RealtimeSocket;
        upstream.AnswerSpeech = false;
        await using (var call = await Page.OpenAsync(a))
        {
            await call.UntilAsync("session.updated");
            await upstream.ReplyAsync();
            var carrier = site.Apps[0];
            var callId = Regex.Match(string.Join('\n', carrier.StandardOutput), @"Session started: call (ws_[0-9a-f]+)").Groups[1].Value;
            Assert.NotEmpty(callId);
            // Written, and not ended: the call is live.
            Assert.Null((await RecordsApp.RecordedInPostgresAsync(records, callId, c => c.Items.Count > 0, "the reply in the call's record")).EndedAt);

            // Killed, as a crash or a lost machine ends it: nothing of it ends the record.
            site.Apps.Remove(carrier);
            carrier.Dispose();
            var killed = DateTime.UtcNow;

            var ended = await RecordsApp.RecordedInPostgresAsync(records, callId, c => c.EndedAt is not null, "the survivor to end the record");
            Assert.Equal("instance_lost", ended.EndReason);
            Assert.InRange(ended.EndedAt!.Value, killed, killed.AddSeconds(30));
        }
    }

    [Fact]
    public async Task A_live_WebSocket_calls_slot_keeps_counting_across_many_renewals_and_a_Redis_outage_and_the_call_goes_on()
    {
        var (a, b) = await site.StartTwoAsync(OneSessionPerUser);
        await using var call = await Page.OpenAsync(a);
        await call.UntilAsync("session.updated");

        // Several lease lengths: renewed, never lapsed.
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(RedisCallLeases.Ttl);
            Assert.Equal("too_many_sessions", await WhyNotAsync(b));
        }

        // Redis goes away for longer than the slot's hold, and comes back empty.
        await site.Redis.StopAsync();
        await Task.Delay(RedisCallLeases.Ttl * 2);
        await site.Redis.StartAgainAsync();

        // The instance carrying the socket registers its slot again: the call still counts...
        await UntilAsync(async () => await WhyNotAsync(b) == "too_many_sessions", "the live socket's slot to be registered again", TimeSpan.FromSeconds(30));
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(RedisCallLeases.Ttl);
            Assert.Equal("too_many_sessions", await WhyNotAsync(b));
        }

        // ...and was never ended: the socket is open both ways, and gives its slot back when the page closes it.
        Assert.Equal(WebSocketState.Open, call.Socket.State);
        Assert.Equal(1, site.Fake.RealtimeSocket.OpenSockets);
        await call.Socket.SendAsync(Encoding.UTF8.GetBytes("""
            {"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Still there?"}]}}
            """), WebSocketMessageType.Text, true, CancellationToken.None);
        await call.UntilAsync("conversation.item.added");
        await call.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await UntilAsync(async () => await WhyNotAsync(b) == "web_socket_required", "the closed socket's slot to be given back", TimeSpan.FromSeconds(10));
    }

    /// <summary>What the page asks when its socket closed before opening: the code of the problem that stands in the way.</summary>
    private static async Task<string?> WhyNotAsync(Uri instance)
    {
        using var client = new Instance(instance);
        using var response = await client.SendAsync(HttpMethod.Get, SocketPath);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return body.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    /// <summary>Polls at a pace a loaded machine (and the instances' logs) can bear.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(250);
        }
    }

    /// <summary>
    /// The page's end of the call: a socket opened as the app's own page opens it (with its Origin), read all the
    /// time as a page reads it, so its pings are answered however long a test waits between looks.
    /// </summary>
    private sealed class Page : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _types = new();
        private readonly Task _reading;

        private Page(ClientWebSocket socket)
        {
            Socket = socket;
            _reading = Task.Run(ReadAsync);
        }

        public ClientWebSocket Socket { get; }

        public static async Task<Page> OpenAsync(Uri instance)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Origin", instance.GetLeftPart(UriPartial.Authority));
            await socket.ConnectAsync(new Uri($"ws://{instance.Authority}{SocketPath}"), CancellationToken.None);
            return new Page(socket);
        }

        public Task UntilAsync(string type) => Await.UntilAsync(() => _types.Contains(type), $"{type} on the page's socket", TimeSpan.FromSeconds(30));

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            try
            {
                while (true)
                {
                    var result = await Socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                        return;
                    message.Write(buffer, 0, result.Count);
                    if (!result.EndOfMessage)
                        continue;
                    if (JsonDocument.Parse(message.ToArray()).RootElement.GetProperty("type").GetString() is { } type)
                        _types.Enqueue(type);
                    message.SetLength(0);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The instance died (or the test ended): nothing more to read.
            }
        }

        public async ValueTask DisposeAsync()
        {
            Socket.Abort();
            await _reading;
            Socket.Dispose();
        }
    }
}
