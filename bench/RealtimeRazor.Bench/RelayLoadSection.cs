using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace RealtimeRazor.Bench;

/// <summary>
/// Part 3: what the Relay endpoint adds over calling the fake upstream directly with the same form,
/// at 1, 16 and 128 concurrent clients, and the app's resident memory idle and under that load.
/// Loopback only; every phase is bounded by a request count and a time cap.
/// </summary>
internal static class RelayLoadSection
{
    private static readonly int[] Concurrency = [1, 16, 128];
    private static readonly TimeSpan PhaseCap = TimeSpan.FromSeconds(20);

    /// <summary>GC and JIT settings tried with --gc-matrix; the first is what the app ships with.</summary>
    private static readonly (string Name, Dictionary<string, string> Environment)[] RuntimeConfigs =
    [
        ("shipped (csproj)", new()),
        ("DOTNET_GCgen0size=4 MiB", new() { ["DOTNET_GCgen0size"] = "0x400000" }),
        ("DOTNET_GCConserveMemory=7", new() { ["DOTNET_GCConserveMemory"] = "7" }),
        ("DOTNET_GCHeapHardLimit=64 MiB", new() { ["DOTNET_GCHeapHardLimit"] = "0x4000000" }),
        ("DOTNET_TieredPGO=0", new() { ["DOTNET_TieredPGO"] = "0" }),
        ("DOTNET_gcConcurrent=1", new() { ["DOTNET_gcConcurrent"] = "1" }),
        ("DOTNET_gcServer=1 (DATAS)", new() { ["DOTNET_gcServer"] = "1" }),
        ("DOTNET_TieredCompilation=0", new() { ["DOTNET_TieredCompilation"] = "0" }),
        ("request + call logs at Warning", new()
        {
            ["Serilog__MinimumLevel__Override__Serilog.AspNetCore.RequestLoggingMiddleware"] = "Warning",
            ["Serilog__MinimumLevel__Override__RealtimeRazor"] = "Warning",
        }),
    ];

    /// <summary>An app build under test: this branch's publish, or an older one given with --compare-app.</summary>
    private sealed record Build(string Label, string PublishFolder);

    public static async Task RunAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        // The load client and the fake share this process: enough threads that neither waits for one.
        ThreadPool.SetMinThreads(256, 256);
        openAI.AnswerStatically();
        var builds = new List<Build> { new("this build", publishFolder) };
        if (options.CompareApp is { } other)
            builds.Add(new Build("compared build", other));

        report.Line("## 3. Relay overhead on the server");
        report.Line();
        report.Line("`POST /api/realtime/calls` on the app vs the same multipart POST straight to the fake upstream, same client, same concurrency, " +
                    "phases interleaved. Added = relay − direct at the same percentile. CPU = the app process's user + system time per relayed offer " +
                    "(/proc/<pid>/stat; steadier than latency on a busy machine). RSS from /proc/<pid>/status: VmRSS, and its private part " +
                    "(RssAnon + RssShmem; the rest is the shared, file-backed runtime and framework).");
        report.Line();
        report.Row("upstream", "build", "clients", "requests", "direct p50 / p99 ms", "relay p50 / p99 ms", "added p50 / p99 ms", "app CPU ms / offer", "RSS start / idle / peak MiB", "private idle / peak MiB", "first relay after start ms");
        report.Row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---");
        foreach (var upstreamDelay in new[] { 0, options.DelayMs }.Distinct())
            await MeasureAsync(report, openAI, builds, RuntimeConfigs[0].Environment, upstreamDelay, Concurrency, label: upstreamDelay == 0 ? "instant" : $"D = {upstreamDelay} ms");
        report.Line();

        if (options.GcMatrix)
        {
            report.Line("### Runtime settings (instant upstream)");
            report.Line();
            report.Row("settings", "build", "clients", "requests", "direct p50 / p99 ms", "relay p50 / p99 ms", "added p50 / p99 ms", "app CPU ms / offer", "RSS start / idle / peak MiB", "private idle / peak MiB", "first relay after start ms");
            report.Row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---");
            foreach (var (name, environment) in RuntimeConfigs)
                await MeasureAsync(report, openAI, builds.Take(1).ToList(), environment, 0, [16, 128], label: name);
            report.Line();
        }
        openAI.Delay = TimeSpan.FromMilliseconds(options.DelayMs);
    }

    private sealed class Measured(Build build, AppProcess app)
    {
        public Build Build { get; } = build;
        public AppProcess App { get; } = app;
        public Uri RelayUrl { get; } = new(app.Url, "api/realtime/calls");
        public double AtStart { get; set; }
        public double Idle { get; set; }
        public double IdlePrivate { get; set; }
        public double FirstMs { get; set; }
    }

    private static async Task MeasureAsync(Report report, FakeOpenAI openAI, List<Build> builds, Dictionary<string, string> environment, int upstreamDelayMs, int[] levels, string label)
    {
        openAI.Delay = TimeSpan.FromMilliseconds(upstreamDelayMs);
        Console.Error.WriteLine($"Relay load: {label} ...");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        var directUrl = new Uri(openAI.BaseUrl + "/realtime/calls");
        var apps = new List<Measured>();
        try
        {
            foreach (var build in builds)
            {
                var app = await BenchApp.StartAsync(build.PublishFolder, openAI.BaseUrl, "Relay", environment);
                // Started means one GET / answered (the start probe): the page is rendered once, nothing relayed yet.
                var measured = new Measured(build, app) { AtStart = app.ResidentMegabytes() };
                apps.Add(measured);
                // The first relayed offer after a start pays for JIT and the first upstream connection, as a quiet server's first user does.
                measured.FirstMs = (await RunPhaseAsync(http, measured.RelayUrl, Relay, 1, 1)).Latencies[0];
                // Warm the path (JIT, pools).
                await RunPhaseAsync(http, measured.RelayUrl, Relay, 4, 40);
            }
            await RunPhaseAsync(http, directUrl, Direct, 4, 40);
            // Let the apps settle before reading idle memory.
            await Task.Delay(2000);
            foreach (var measured in apps)
            {
                measured.Idle = measured.App.ResidentMegabytes();
                measured.IdlePrivate = measured.App.PrivateMegabytes();
            }

            foreach (var clients in levels)
            {
                var requests = upstreamDelayMs == 0 ? Math.Clamp(clients * 20, 200, 2560) : Math.Max(20, clients * 4);
                await RunPhaseAsync(http, directUrl, Direct, clients, clients * 2);
                foreach (var measured in apps)
                    await RunPhaseAsync(http, measured.RelayUrl, Relay, clients, clients * 2);

                // Two halves each, interleaved, so a burst of other work on the machine hits every side.
                var direct = new List<double>();
                var relay = apps.ToDictionary(a => a, _ => new List<double>());
                var peak = apps.ToDictionary(a => a, a => a.App.ResidentMegabytes());
                var peakPrivate = apps.ToDictionary(a => a, a => a.App.PrivateMegabytes());
                var cpu = apps.ToDictionary(a => a, _ => 0.0);
                for (var half = 0; half < 2; half++)
                {
                    direct.AddRange((await RunPhaseAsync(http, directUrl, Direct, clients, requests / 2)).Latencies);
                    foreach (var measured in apps)
                    {
                        using var sampling = new CancellationTokenSource();
                        var sampler = Task.Run(async () =>
                        {
                            while (!sampling.IsCancellationRequested)
                            {
                                peak[measured] = Math.Max(peak[measured], measured.App.ResidentMegabytes());
                                peakPrivate[measured] = Math.Max(peakPrivate[measured], measured.App.PrivateMegabytes());
                                await Task.Delay(50);
                            }
                        });
                        var cpuBefore = measured.App.CpuMilliseconds();
                        var phase = await RunPhaseAsync(http, measured.RelayUrl, Relay, clients, requests / 2);
                        cpu[measured] += measured.App.CpuMilliseconds() - cpuBefore;
                        await sampling.CancelAsync();
                        await sampler;
                        relay[measured].AddRange(phase.Latencies);
                    }
                }
                var d = new Samples(direct);
                foreach (var measured in apps)
                {
                    var r = new Samples(relay[measured]);
                    report.Row(label, measured.Build.Label, clients, $"{relay[measured].Count}+{direct.Count}",
                        $"{Format.Number(d.Median, "0.0")} / {Format.Number(d.Percentile(99), "0.0")}",
                        $"{Format.Number(r.Median, "0.0")} / {Format.Number(r.Percentile(99), "0.0")}",
                        $"{Format.Number(r.Median - d.Median, "0.0")} / {Format.Number(r.Percentile(99) - d.Percentile(99), "0.0")}",
                        Format.Number(cpu[measured] / relay[measured].Count, "0.00"),
                        $"{Format.Number(measured.AtStart)} / {Format.Number(measured.Idle)} / {Format.Number(peak[measured])}",
                        $"{Format.Number(measured.IdlePrivate)} / {Format.Number(peakPrivate[measured])}",
                        Format.Number(measured.FirstMs, "0"));
                }
            }
        }
        finally
        {
            foreach (var measured in apps)
                await measured.App.DisposeAsync();
        }
    }

    private sealed record Phase(List<double> Latencies, TimeSpan Elapsed);

    /// <summary>At most <paramref name="requests"/> requests from <paramref name="clients"/> parallel loops, and never past the cap.</summary>
    private static async Task<Phase> RunPhaseAsync(HttpClient http, Uri url, Func<HttpContent> body, int clients, int requests)
    {
        var latencies = new ConcurrentBag<double>();
        var issued = 0;
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Interlocked.Increment(ref issued) <= requests && clock.Elapsed < PhaseCap)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync(url, body());
                await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}");
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
        await Task.WhenAll(loops);
        return new Phase([.. latencies], clock.Elapsed);
    }

    private static HttpContent Relay()
    {
        var content = new StringContent(SampleOffer.Sdp, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        return content;
    }

    /// <summary>What the app sends upstream: the offer and a session of the same size, as plain form fields.</summary>
    private static HttpContent Direct()
    {
        static StringContent Field(string value)
        {
            var field = new StringContent(value, Encoding.UTF8);
            field.Headers.ContentType = null;
            return field;
        }
        return new MultipartFormDataContent
        {
            { Field(SampleOffer.Sdp), "sdp" },
            { Field(SampleOffer.Session), "session" },
        };
    }
}
