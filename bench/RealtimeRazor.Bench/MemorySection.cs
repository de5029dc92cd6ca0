using System.Net;
using System.Net.Http.Headers;
using System.Text;



namespace RealtimeRazor.Bench;

/// <summary>
/// Part 3a: the server's private memory — RssAnon + RssShmem from /proc/&lt;pid&gt;/status, what the process
/// alone costs the host (heap, stacks, JIT'd code in the W^X double map); the file-backed rest of the RSS
/// is the runtime's and framework's images, shared with every .NET process and reclaimable — idle and at 16
/// concurrent relays, next to an empty ASP.NET Core app (bench/EmptyWeb, what <c>dotnet new web</c> makes)
/// started and measured the same way in the same run.
/// </summary>
internal static class MemorySection
{
    public const double IdleTargetMiB = 48;
    public const double LoadTargetMiB = 96;
    private const int Clients = 16;
    private const int WarmRequests = 40;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private sealed record Build(string Label, string PublishFolder, string Assembly, bool Relays);

    private sealed record Reading(double IdlePrivate, double IdleRss, double PeakPrivate, double PeakRss, double AfterPrivate);

    public static async Task RunAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        var emptyFolder = options.Publish
            ? await BenchApp.PublishAsync(Path.Combine("bench", "EmptyWeb", "EmptyWeb.csproj"), "empty-web")
            : Path.Combine(Repository.Root, "artifacts", "bench", "empty-web");
        var builds = new List<Build>
        {
            new("empty ASP.NET Core app (`dotnet new web`)", emptyFolder, "EmptyWeb.dll", Relays: false),
            new("this build", publishFolder, "RealtimeRazor.Web.dll", Relays: true),
        };
        if (options.CompareApp is { } other)
            builds.Add(new Build("compared build", other, "RealtimeRazor.Web.dll", Relays: true));

        openAI.AnswerStatically();
        openAI.Delay = TimeSpan.FromMilliseconds(options.DelayMs);
        var starts = Math.Min(options.Runs, 3);
        var readings = builds.ToDictionary(b => b, _ => new List<Reading>());
        // Builds alternate start by start, so load from other work on the machine hits each alike.
        for (var start = 0; start < starts; start++)
        {
            foreach (var build in builds)
            {
                Console.Error.WriteLine($"Memory: {build.Label}, start {start + 1} of {starts} ...");
                var reading = await MeasureAsync(openAI, build);
                readings[build].Add(reading);
                Console.Error.WriteLine($"  private idle {reading.IdlePrivate:0.0} MiB, peak {reading.PeakPrivate:0.0} MiB, after {reading.AfterPrivate:0.0} MiB");
            }
        }

        report.Line($"## 3a. Server private memory (RssAnon + RssShmem), MiB: median (min–max) of {starts} starts");
        report.Line();
        report.Line($"Each start: Production, `GET /` ten times and {WarmRequests} relayed offers (the empty app: {WarmRequests} more `GET /`), " +
                    $"{Settle.TotalSeconds:0} s to settle → idle; then {Clients} clients relay offers concurrently against the fake with D = {options.DelayMs} ms " +
                    $"(the empty app: {Clients} clients on `GET /`), sampled every 50 ms → peak; {Settle.TotalSeconds:0} s later → after. " +
                    "VmRSS alongside, for comparison with earlier figures.");
        report.Line();
        report.Row("app", "private idle", $"private peak, {Clients} clients", "private after load", "VmRSS idle / peak", "targets (≤ 48 idle, ≤ 96 at 16)");
        report.Row("---", "---", "---", "---", "---", "---");
        foreach (var (build, runs) in readings)
        {
            var idle = new Samples(runs.Select(r => r.IdlePrivate));
            var peak = new Samples(runs.Select(r => r.PeakPrivate));
            var verdict = build.Relays
                ? $"{(idle.Median <= IdleTargetMiB ? "met" : "**missed**")} / {(peak.Median <= LoadTargetMiB ? "met" : "**missed**")}"
                : "(yardstick)";
            report.Row(build.Label, idle.Describe("0.0"), peak.Describe("0.0"), new Samples(runs.Select(r => r.AfterPrivate)).Describe("0.0"),
                $"{Format.Number(new Samples(runs.Select(r => r.IdleRss)).Median, "0.0")} / {Format.Number(new Samples(runs.Select(r => r.PeakRss)).Median, "0.0")}",
                verdict);
        }
        report.Line();
    }

    private static async Task<Reading> MeasureAsync(FakeOpenAI openAI, Build build)
    {
        await using var app = await BenchApp.StartAsync(build.PublishFolder, openAI.BaseUrl, "Relay", assembly: build.Assembly);
        // As a browser asks: compressed where the server offers it.
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All, MaxConnectionsPerServer = 256 })
        {
            BaseAddress = app.Url,
            Timeout = TimeSpan.FromSeconds(30),
        };
        Func<Task> request = build.Relays ? () => RelayAsync(http) : () => PageAsync(http);

        for (var i = 0; i < 10; i++)
            await PageAsync(http);
        await RunAsync(request, clients: 4, requests: WarmRequests);
        await Task.Delay(Settle);
        var idlePrivate = app.PrivateMegabytes();
        var idleRss = app.ResidentMegabytes();

        var peakPrivate = idlePrivate;
        var peakRss = idleRss;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakPrivate = Math.Max(peakPrivate, app.PrivateMegabytes());
                peakRss = Math.Max(peakRss, app.ResidentMegabytes());
                await Task.Delay(50);
            }
        });
        await RunAsync(request, Clients, Clients * 10);
        await sampling.CancelAsync();
        await sampler;
        await Task.Delay(Settle);
        return new Reading(idlePrivate, idleRss, peakPrivate, peakRss, app.PrivateMegabytes());
    }

    private static async Task RunAsync(Func<Task> request, int clients, int requests)
    {
        var issued = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Interlocked.Increment(ref issued) <= requests)
                await request();
        }));
    }

    private static async Task PageAsync(HttpClient http)
    {
        using var response = await http.GetAsync("");
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task RelayAsync(HttpClient http)
    {
        using var offer = new StringContent(SampleOffer.Sdp, Encoding.UTF8);
        offer.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        using var response = await http.PostAsync("api/realtime/calls", offer);
        await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The relay answered {(int)response.StatusCode}");
    }
}
