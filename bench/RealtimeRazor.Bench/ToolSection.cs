using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace RealtimeRazor.Bench;

/// <summary>
/// Part 3b: the server's half of a call over OpenAI's sideband. Tool round trip: from the fake sending a
/// response that ends in a function call (<c>response.output_item.done</c> + <c>response.done</c>) on a call's
/// sideband to the fake receiving its <c>function_call_output</c> and <c>response.create</c> back, with the
/// built-in <c>current_time</c> tool (no I/O) enabled in the published app by configuration. Private memory per
/// live call with its sideband open. The Relay offer's answer time with the sideband opening vs refused, and
/// when the sideband opens after the answer. Relay calls are started with plain HTTP posts, no browser.
/// </summary>
internal static class ToolSection
{
    public const double P50TargetMs = 5;
    public const double P99TargetMs = 20;
    public const double PerCallTargetKiB = 64;
    private const int Clients = 16;
    private const int RoundsPerCall = 60;
    private const int ConnectRounds = 3;
    private static readonly int[] LiveCalls = [16, 64, 128];
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string Tool = "current_time";

    public static async Task RunAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        // The load client and the fake share this process: enough threads that neither waits for one.
        ThreadPool.SetMinThreads(256, 256);
        openAI.AnswerStatically();
        openAI.UniqueCallIds = true;
        openAI.Sideband.KeepReceived = false;
        var probe = new Probe(openAI.Sideband);
        try
        {
            await using var app = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay",
                new Dictionary<string, string> { ["Realtime__BuiltInTools__Clock__Enabled"] = "true" });
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = app.Url, Timeout = TimeSpan.FromSeconds(30) };

            // Connect, side by side: D applies to the offer and to the sideband's handshake alike.
            openAI.Delay = TimeSpan.FromMilliseconds(options.DelayMs);
            Console.Error.WriteLine("Tools: connect with and without the sideband ...");
            var connect = new Dictionary<bool, (List<double> Answer, List<double> Open)> { [true] = ([], []), [false] = ([], []) };
            for (var round = 0; round < ConnectRounds + 1; round++)
            {
                foreach (var sideband in new[] { true, false })
                {
                    openAI.Sideband.RefuseWith = sideband ? 0 : 503;
                    var calls = await StartCallsAsync(http, probe, Clients, waitForSideband: sideband);
                    if (round > 0) // The first round warms up.
                    {
                        connect[sideband].Answer.AddRange(calls.Select(c => c.AnswerMs));
                        connect[sideband].Open.AddRange(calls.Select(c => c.OpenAfterAnswerMs));
                    }
                    await HangUpAsync(http, openAI, calls);
                }
            }
            openAI.Sideband.RefuseWith = 0;
            openAI.Delay = TimeSpan.Zero;

            // Round trips at 16 live calls, then memory at 16 and 128.
            Console.Error.WriteLine("Tools: round trips ...");
            var warm = await StartCallsAsync(http, probe, Clients, waitForSideband: true);
            await RoundTripsAsync(openAI, probe, warm, rounds: 10);
            await HangUpAsync(http, openAI, warm);
            var live = await StartCallsAsync(http, probe, Clients, waitForSideband: true);
            var cpuBefore = app.CpuMilliseconds();
            var clock = Stopwatch.StartNew();
            var (latencies, failures) = await RoundTripsAsync(openAI, probe, live, RoundsPerCall);
            var elapsed = clock.Elapsed;
            var cpu = (app.CpuMilliseconds() - cpuBefore) / latencies.Count;
            await HangUpAsync(http, openAI, live);

            // Memory is read with calls that are only up (no round trips), so what the round trips left for the GC does not count as the calls'.
            await Task.Delay(Settle);
            var idle = app.PrivateMegabytes();
            var memory = new List<(int Calls, double Private)>();
            foreach (var count in LiveCalls)
            {
                Console.Error.WriteLine($"Tools: {count} live calls ...");
                var many = await StartCallsAsync(http, probe, count, waitForSideband: true);
                await Task.Delay(Settle);
                memory.Add((count, app.PrivateMegabytes()));
                await HangUpAsync(http, openAI, many);
            }
            await Task.Delay(Settle);
            var after = app.PrivateMegabytes();

            report.Line("## 3b. Server-side tools over the sideband");
            report.Line();
            report.Line($"Published app in Production, Relay, `Realtime:BuiltInTools:Clock:Enabled=true` (`{Tool}`: reads the clock, no I/O). " +
                        $"{Clients} live Relay calls (HTTP posts of an SDP offer, no browser), each with its sideband open to the fake over loopback; " +
                        $"each call's loop sends `response.output_item.done` + `response.done` with one `function_call` on its own sideband and waits for " +
                        $"the `function_call_output` and `response.create` back; {RoundsPerCall} round trips per call, after 10 per call to warm up. " +
                        "The fake, its sideband and the load loops share this process and the machine's cores with the app. " +
                        "App CPU = the app process's user + system time per round trip (/proc/<pid>/stat).");
            report.Line();
            var samples = new Samples(latencies);
            report.Row("live calls", "round trips", "failed", "p50 / p99 / max ms", "round trips / s", "app CPU ms / round trip", $"target (≤ {P50TargetMs:0} / ≤ {P99TargetMs:0} ms)");
            report.Row("---", "---", "---", "---", "---", "---", "---");
            report.Row(Clients, latencies.Count, failures,
                $"{Format.Number(samples.Median, "0.00")} / {Format.Number(samples.Percentile(99), "0.00")} / {Format.Number(samples.Max, "0.0")}",
                Format.Number(latencies.Count / elapsed.TotalSeconds, "0"), Format.Number(cpu, "0.00"),
                samples.Median <= P50TargetMs && samples.Percentile(99) <= P99TargetMs ? "met" : "**missed**");
            report.Line();

            report.Line($"Private memory (RssAnon + RssShmem) of the app, read {Settle.TotalSeconds:0} s after the calls are up (or hung up): " +
                        "per call = (live − idle) ÷ calls, and the slope between the smallest and largest count, which leaves out the heap's one-time growth. " +
                        "Idle = after the round trips above, all calls hung up. No forced GC: what the host would see.");
            report.Line();
            report.Row("live calls with sideband", "private MiB", "per call KiB", $"target (≤ {PerCallTargetKiB:0} KiB)");
            report.Row("---", "---", "---", "---");
            report.Row("0 (idle)", Format.Number(idle, "0.0"), "", "");
            foreach (var (calls, megabytes) in memory)
            {
                var perCall = (megabytes - idle) * 1024 / calls;
                report.Row(calls, Format.Number(megabytes, "0.0"), Format.Number(perCall, "0"), perCall <= PerCallTargetKiB ? "met" : "**missed**");
            }
            var (fewest, fewestMiB) = memory[0];
            var (most, mostMiB) = memory[^1];
            var slope = (mostMiB - fewestMiB) * 1024 / (most - fewest);
            report.Row($"slope {fewest} → {most}", "", Format.Number(slope, "0"), slope <= PerCallTargetKiB ? "met" : "**missed**");
            report.Row("0 (all hung up)", Format.Number(after, "0.0"), "", "");
            report.Line();

            report.Line($"Connect: {Clients} offers at once, {ConnectRounds} rounds after one warm-up, D = {options.DelayMs} ms on the offer and on the " +
                        "sideband's handshake. Answer = `POST /api/realtime/calls` until the SDP answer; sideband open = from that answer until the fake " +
                        "accepted the sideband's WebSocket. \"Refused\": the fake answers the handshake 503, so no socket is ever held.");
            report.Line();
            report.Row("sideband", "offers", "answer p50 / p99 ms", "sideband open after the answer p50 / p99 ms");
            report.Row("---", "---", "---", "---");
            foreach (var (sideband, (answer, open)) in connect)
            {
                var a = new Samples(answer);
                var o = new Samples(open);
                report.Row(sideband ? "opens" : "refused (503)", answer.Count,
                    $"{Format.Number(a.Median, "0")} / {Format.Number(a.Percentile(99), "0")}",
                    sideband ? $"{Format.Number(o.Median, "0")} / {Format.Number(o.Percentile(99), "0")}" : "—");
            }
            report.Line();
        }
        finally
        {
            openAI.Sideband.RefuseWith = 0;
            openAI.Sideband.OnOpen = null;
            openAI.Sideband.OnCallEvent = null;
            openAI.Sideband.KeepReceived = true;
            openAI.UniqueCallIds = false;
            openAI.Delay = TimeSpan.FromMilliseconds(options.DelayMs);
        }
    }

    private sealed record LiveCall(string Path, string Id, double AnswerMs, double OpenAfterAnswerMs);

    /// <summary>What the fake's sideband saw, per call: when each socket opened, and each response.create awaited.</summary>
    private sealed class Probe
    {
        public ConcurrentDictionary<string, long> Opened { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, TaskCompletionSource<bool>> Waiting { get; } = new(StringComparer.Ordinal);

        public Probe(FakeSideband sideband)
        {
            sideband.OnOpen = callId => Opened.TryAdd(callId, Stopwatch.GetTimestamp());
            sideband.OnCallEvent = (callId, json) =>
            {
                using var clientEvent = JsonDocument.Parse(json);
                var root = clientEvent.RootElement;
                var type = root.GetProperty("type").GetString();
                if (type == "conversation.item.create" && Waiting.TryGetValue(callId, out var pending)
                    && root.GetProperty("item").GetProperty("output").GetString()!.StartsWith("{\"error\"", StringComparison.Ordinal))
                    pending.TrySetResult(false);
                else if (type == "response.create" && Waiting.TryGetValue(callId, out var done))
                    done.TrySetResult(true);
                return Task.CompletedTask;
            };
        }
    }

    private static async Task<List<LiveCall>> StartCallsAsync(HttpClient http, Probe probe, int count, bool waitForSideband)
    {
        return [.. await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            var started = Stopwatch.GetTimestamp();
            using var offer = new StringContent(SampleOffer.Sdp, Encoding.UTF8);
            offer.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
            using var response = await http.PostAsync("api/realtime/calls", offer);
            await response.Content.ReadAsStringAsync();
            var answered = Stopwatch.GetTimestamp();
            if (!response.IsSuccessStatusCode || response.Headers.Location is not { } location)
                throw new InvalidOperationException($"The relay answered {(int)response.StatusCode}");
            var path = location.OriginalString.TrimStart('/');
            var id = path[(path.LastIndexOf('/') + 1)..];
            var openMs = double.NaN;
            if (waitForSideband)
            {
                await Await.UntilAsync(() => probe.Opened.ContainsKey(id), $"the sideband of {id} to open", Patience);
                openMs = Stopwatch.GetElapsedTime(answered, probe.Opened[id]).TotalMilliseconds;
            }
            return new LiveCall(path, id, Stopwatch.GetElapsedTime(started, answered).TotalMilliseconds, openMs);
        }))];
    }

    private static async Task<(List<double> Latencies, int Failures)> RoundTripsAsync(FakeOpenAI openAI, Probe probe, List<LiveCall> calls, int rounds)
    {
        var latencies = new ConcurrentBag<double>();
        var failures = 0;
        await Task.WhenAll(calls.Select(async call =>
        {
            for (var round = 0; round < rounds; round++)
            {
                var item = $$"""{"type":"function_call","call_id":"fc_{{round}}","name":"{{Tool}}","arguments":"{}"}""";
                var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                probe.Waiting[call.Id] = done;
                var started = Stopwatch.GetTimestamp();
                await openAI.Sideband.SendAsync(call.Id, $$"""{"type":"response.output_item.done","response_id":"resp_{{round}}","item":{{item}}}""");
                await openAI.Sideband.SendAsync(call.Id, $$$"""{"type":"response.done","response":{"id":"resp_{{{round}}}","status":"completed","output":[{{{item}}}]}}""");
                var answered = await done.Task.WaitAsync(Patience);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (answered)
                    latencies.Add(elapsed);
                else
                    Interlocked.Increment(ref failures);
                if (!answered)
                    await Task.Delay(100); // Its response.create is still to come; let it pass before the next round.
            }
            probe.Waiting.TryRemove(call.Id, out _);
        }));
        return ([.. latencies], failures);
    }

    private static async Task HangUpAsync(HttpClient http, FakeOpenAI openAI, List<LiveCall> calls)
    {
        await Task.WhenAll(calls.Select(async call =>
        {
            using var response = await http.DeleteAsync(call.Path);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"Hanging up answered {(int)response.StatusCode}");
        }));
        await Await.UntilAsync(() => openAI.Sideband.OpenSockets == 0, "every sideband to close after the hang-ups", Patience);
    }
}
