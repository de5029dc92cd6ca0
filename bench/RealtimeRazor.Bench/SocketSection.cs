using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

/// <summary>
/// The WebSocket transport's relay: what the app adds per audio chunk, each way, over talking to the fake's
/// Realtime WebSocket interface directly, at 1, 16 and 64 concurrent streams; the app's CPU and private memory
/// per live stream. Every stream sends 40 ms appends of 24 kHz PCM16 at real time while the fake streams 40 ms
/// output deltas at real time; each chunk carries the <see cref="Stopwatch"/> timestamp it was sent at in its
/// first 8 bytes, read where it arrives (client, app and fake: the app is a process, the rest shares this one's clock).
/// </summary>
internal static class SocketSection
{
    private static readonly int[] Streams = [1, 16, 64];
    private static readonly TimeSpan Chunk = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        await ConnectAsync(report, browser, openAI, publishFolder, options);
        await RelayAsync(report, openAI, publishFolder, options);
    }

    /// <summary>Click → first audio in real Chromium, the WebSocket transport against WebRTC, interleaved run by run.</summary>
    private static async Task ConnectAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("WebSocket connect: starting the app with each transport and the fake peer ...");
        await using var webRtc = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", new Dictionary<string, string> { ["Realtime__Transports"] = "WebRTC" });
        await using var webSocket = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", new Dictionary<string, string> { ["Realtime__Transports"] = "WebSocket" });
        var bench = new ConnectBenchmark(browser, openAI);
        await bench.StartPeerAsync();
        // The fake peer speaks as soon as a WebRTC call starts; the fake Realtime WebSocket as soon as its session is configured.
        openAI.RealtimeSocket.SpeakFirst = true;
        openAI.RealtimeSocket.AnswerSpeech = false;
        Dictionary<string, List<ConnectRun>> results;
        try
        {
            results = await bench.RunAsync(
            [
                new ConnectVariant("WebRTC (Relay)", webRtc.Url.ToString(), WaitForEnabledButton: true),
                new ConnectVariant("WebSocket", webSocket.Url.ToString(), WaitForEnabledButton: true),
            ], options.Runs);
        }
        finally
        {
            openAI.RealtimeSocket.SpeakFirst = false;
            await bench.StopPeerAsync();
        }

        report.Line($"## WebSocket transport: click → first audio in Chromium (D = {options.DelayMs} ms per OpenAI HTTP call), ms: median (min–max) of {options.Runs}");
        report.Line();
        report.Row("transport", "click → channel / socket open", "click → first server event", "click → first audio", "OpenAI HTTP requests / connect", "failed samples (after one retry)");
        report.Row("---", "---", "---", "---", "---", "---");
        foreach (var (name, runs) in results)
        {
            report.Row(name, new Samples(runs.Select(r => r.ChannelOpen)).Describe(), new Samples(runs.Select(r => r.FirstEvent)).Describe(),
                new Samples(runs.Select(r => r.FirstAudio)).Describe(), new Samples(runs.Select(r => (double)r.UpstreamRequests)).Describe(),
                runs.Count(r => r.Failure is not null));
        }
        report.Line();
        report.Line("Both reach OpenAI in one delayed round trip: WebRTC's `POST /v1/realtime/calls`, the WebSocket's handshake with `/v1/realtime` (D applies to it too). " +
                    "First audio = the page's `#assistant-audio` carries the fake's tone (WebRTC: the peer speaks at once; WebSocket: a scripted reply right after the session is configured).");
        report.Line();
    }

    private static async Task RelayAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        ThreadPool.SetMinThreads(256, 256);
        var fake = openAI.RealtimeSocket;
        // The chunks are silence with a timestamp: no scripted turns, only the streams.
        fake.AnswerSpeech = false;
        var measureFor = TimeSpan.FromSeconds(options.CpuSeconds);
        Console.Error.WriteLine("WebSocket relay: starting the app ...");
        await using var app = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", new Dictionary<string, string> { ["Realtime__Transports"] = "WebSocket" });
        var relay = new Endpoint(new Uri($"ws://{app.Url.Authority}/api/realtime/socket"), Origin: app.Url.GetLeftPart(UriPartial.Authority), Authorization: null, Ready: "session.updated");
        var direct = new Endpoint(new Uri(openAI.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/realtime?model=gpt-realtime"),
            Origin: null, Authorization: $"Bearer {FakeOpenAI.ApiKey}", Ready: "session.created");

        report.Line("## WebSocket transport: the relay's cost per audio chunk");
        report.Line();
        report.Line($"Each stream: a WebSocket client sending `input_audio_buffer.append` with 40 ms of 24 kHz PCM16 (base64) every 40 ms while the fake " +
                    $"streams 40 ms `response.output_audio.delta` every 40 ms, for {measureFor.TotalSeconds:0} s after a {Warmup.TotalSeconds:0} s warm-up. " +
                    "Latency = arrival − the send timestamp written into the chunk's audio. Direct = the same clients on the fake's Realtime WebSocket; " +
                    "relay = through `GET /api/realtime/socket` on the app (a process, Production, Release). Added = relay − direct at the same percentile. " +
                    "CPU = the app's user + system time during the measured window / wall time / streams (/proc/<pid>/stat). " +
                    "Private memory per stream = (RssAnon + RssShmem with the streams open − before they opened) / streams.");
        report.Line();
        report.Row("streams", "chunks up + down", "page→OpenAI direct p50 / p99 ms", "relayed p50 / p99 ms", "added p50 / p99 ms",
            "OpenAI→page direct p50 / p99 ms", "relayed p50 / p99 ms", "added p50 / p99 ms", "app CPU % of a core / stream", "private KiB / stream");
        report.Row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---");
        // One unmeasured round: JIT and connection set-up on both paths.
        await RunAsync(fake, direct, 4, TimeSpan.FromSeconds(1), app: null);
        await RunAsync(fake, relay, 4, TimeSpan.FromSeconds(1), app: null);
        foreach (var streams in Streams)
        {
            Console.Error.WriteLine($"WebSocket relay: {streams} streams ...");
            var baseline = await RunAsync(fake, direct, streams, measureFor, app: null);
            var relayed = await RunAsync(fake, relay, streams, measureFor, app);
            report.Row(streams, $"{relayed.Up.Count} + {relayed.Down.Count}",
                Pair(baseline.Up.Median, baseline.Up.Percentile(99)), Pair(relayed.Up.Median, relayed.Up.Percentile(99)),
                Pair(relayed.Up.Median - baseline.Up.Median, relayed.Up.Percentile(99) - baseline.Up.Percentile(99)),
                Pair(baseline.Down.Median, baseline.Down.Percentile(99)), Pair(relayed.Down.Median, relayed.Down.Percentile(99)),
                Pair(relayed.Down.Median - baseline.Down.Median, relayed.Down.Percentile(99) - baseline.Down.Percentile(99)),
                Format.Number(relayed.CpuPercentPerStream, "0.00"), Format.Number(relayed.PrivateKiBPerStream, "0"));
        }
        report.Line();
    }

    private static string Pair(double p50, double p99) => $"{Format.Number(p50, "0.00")} / {Format.Number(p99, "0.00")}";

    /// <summary>Where a stream's client connects: the app's socket (as its page, with its Origin) or the fake directly (with the key).</summary>
    private sealed record Endpoint(Uri Url, string? Origin, string? Authorization, string Ready);

    private sealed record Result(Samples Up, Samples Down, double CpuPercentPerStream, double PrivateKiBPerStream);

    /// <summary><paramref name="streams"/> clients streaming both ways for a warm-up and then <paramref name="measureFor"/>.</summary>
    private static async Task<Result> RunAsync(FakeRealtimeSocket fake, Endpoint endpoint, int streams, TimeSpan measureFor, AppProcess? app)
    {
        var privateBefore = app?.PrivateMegabytes() ?? double.NaN;
        var up = new ConcurrentBag<double>();
        var down = new ConcurrentBag<double>();
        var measuring = 0;
        fake.AppendArrived = (pcm, arrived) =>
        {
            if (Volatile.Read(ref measuring) == 1)
                up.Add(Stopwatch.GetElapsedTime(BitConverter.ToInt64(pcm), arrived).TotalMilliseconds);
        };
        var sockets = new List<ClientWebSocket>();
        using var stop = new CancellationTokenSource();
        try
        {
            // Opened a few at a time: a burst of handshakes is not what is measured.
            foreach (var batch in Enumerable.Range(0, streams).Chunk(8))
                sockets.AddRange(await Task.WhenAll(batch.Select(_ => OpenAsync(endpoint))));
            var receivers = sockets.Select(socket => ReceiveAsync(socket, down, () => Volatile.Read(ref measuring) == 1)).ToList();
            var senders = sockets.Select(socket => SendAsync(socket, stop.Token)).ToList();
            var output = fake.StreamAudioAsync(Chunk, stop.Token);

            await Task.Delay(Warmup);
            var cpuBefore = app?.CpuMilliseconds() ?? double.NaN;
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref measuring, 1);
            await Task.Delay(measureFor);
            Volatile.Write(ref measuring, 0);
            var cpu = (app?.CpuMilliseconds() ?? double.NaN) - cpuBefore;
            var wall = clock.Elapsed.TotalMilliseconds;
            var privateDuring = app?.PrivateMegabytes() ?? double.NaN;

            await stop.CancelAsync();
            await Task.WhenAll(senders);
            await output;
            foreach (var socket in sockets)
                await CloseAsync(socket);
            await Task.WhenAll(receivers);
            fake.ForgetReceived();
            await Await.UntilAsync(() => fake.OpenSockets == 0, "the fake's sockets to close", TimeSpan.FromSeconds(30));
            return new Result(new Samples(up), new Samples(down), cpu / wall / streams * 100, (privateDuring - privateBefore) * 1024 / streams);
        }
        finally
        {
            fake.AppendArrived = null;
            foreach (var socket in sockets)
                socket.Dispose();
        }
    }

    private static async Task<ClientWebSocket> OpenAsync(Endpoint endpoint)
    {
        var socket = new ClientWebSocket();
        if (endpoint.Origin is { } origin)
            socket.Options.SetRequestHeader("Origin", origin);
        if (endpoint.Authorization is { } authorization)
            socket.Options.SetRequestHeader("Authorization", authorization);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(endpoint.Url, timeout.Token);
        // Ready once the session is: the relay's session.updated, or the fake's greeting.
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new InvalidOperationException($"{endpoint.Url} closed before {endpoint.Ready}: {socket.CloseStatus} {socket.CloseStatusDescription}");
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
                continue;
            var type = JsonDocument.Parse(message.ToArray()).RootElement.GetProperty("type").GetString();
            message.SetLength(0);
            if (type == endpoint.Ready)
                return socket;
        }
    }

    /// <summary>An append of one chunk every chunk at real time, its send timestamp in the audio's first 8 bytes.</summary>
    private static async Task SendAsync(ClientWebSocket socket, CancellationToken stop)
    {
        var pcm = new byte[(int)(FakeRealtimeSocket.SampleRate * Chunk.TotalSeconds) * 2];
        using var timer = new PeriodicTimer(Chunk);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                BitConverter.TryWriteBytes(pcm, Stopwatch.GetTimestamp());
                var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = "input_audio_buffer.append", audio = Convert.ToBase64String(pcm) }));
                await socket.SendAsync(json, WebSocketMessageType.Text, true, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reads until the socket closes; each output delta's latency is its arrival − the timestamp in its audio.</summary>
    private static async Task ReceiveAsync(ClientWebSocket socket, ConcurrentBag<double> latencies, Func<bool> measuring)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                    return;
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                    continue;
                var arrived = Stopwatch.GetTimestamp();
                using (var document = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length)))
                {
                    var root = document.RootElement;
                    if (measuring() && root.GetProperty("type").GetString() == "response.output_audio.delta")
                    {
                        var sent = BitConverter.ToInt64(Convert.FromBase64String(root.GetProperty("delta").GetString()![..12]));
                        latencies.Add(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
                    }
                }
                message.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
        }
    }

    private static async Task CloseAsync(ClientWebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            socket.Abort();
        }
    }
}
