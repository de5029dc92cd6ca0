using System.Diagnostics;

namespace RealtimeRazor.Bench;

/// <summary>
/// Two instances sharing a real Redis behind real nginx (the shipped site config: HTTPS, round robin) against
/// one instance without Redis reached directly, in one run: the relay connect time a page waits for (its
/// session start, sequential), and how many session starts per second each sustains with 16 clients starting
/// and hanging up calls at once against the fake upstream.
/// </summary>
internal static class ScaleSection
{
    private const int ConnectSamples = 100;
    private const int Clients = 16;

    public static async Task RunAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Scale: one instance alone, two with Redis behind nginx ...");
        // Records off: several instances need PostgreSQL for them, and they are not what is measured here.
        var common = new Dictionary<string, string> { ["Records__Enabled"] = "false" };
        await using var redis = await RedisServer.StartAsync();
        var shared = new Dictionary<string, string>(common) { ["Redis__Configuration"] = redis.Configuration };
        await using var alone = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", common);
        await using var a = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", shared);
        await using var b = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", shared);
        using var nginx = await NginxProxy.StartAsync(a.Url, b.Url);
        using var direct = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var proxied = nginx.CreateClient();
        // Calls overlap: each needs its own id for its hang-up.
        openAI.UniqueCallIds = true;
        var sites = new List<(string Name, HttpClient Http, Uri Url)>
        {
            ("one instance, in memory, direct (http)", direct, alone.Url),
            ("two instances, Redis, behind nginx (HTTPS, round robin)", proxied, nginx.Url),
        };
        try
        {
            var connect = sites.ToDictionary(site => site.Name, _ => new List<double>());
            for (var i = 0; i < 10; i++)
            {
                foreach (var site in sites)
                    await SharedLimitsSection.StartAndEndAsync(site.Http, site.Url);
            }
            for (var i = 0; i < ConnectSamples; i++)
            {
                foreach (var site in sites)
                    connect[site.Name].Add(await SharedLimitsSection.StartAndEndAsync(site.Http, site.Url));
            }

            var window = TimeSpan.FromSeconds(options.CpuSeconds);
            var rates = new Dictionary<string, double>();
            foreach (var site in sites)
            {
                Console.Error.WriteLine($"  {site.Name}: {Clients} clients for {window.TotalSeconds:0} s ...");
                var clock = Stopwatch.StartNew();
                var counts = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
                {
                    var started = 0;
                    while (clock.Elapsed < window)
                    {
                        await SharedLimitsSection.StartAndEndAsync(site.Http, site.Url);
                        started++;
                    }
                    return started;
                }));
                rates[site.Name] = counts.Sum() / clock.Elapsed.TotalSeconds;
            }

            report.Line($"## Scale-out: two instances behind nginx vs one alone (D = {options.DelayMs} ms)");
            report.Line();
            report.Line($"Connect = one Relay session start (`POST /api/realtime/calls` with an offer, answered 201), sequential, {ConnectSamples} per site " +
                        $"after 10 to warm up, alternating; then {Clients} clients each starting and hanging up calls back to back for {window.TotalSeconds:0} s per site. " +
                        "Records off; the fake upstream answers at once after D.");
            report.Line();
            report.Row("site", "connect p50 ms", "p90 ms", "p99 ms", $"session starts per second ({Clients} clients, each with its hang-up)");
            report.Row("---", "---", "---", "---", "---");
            foreach (var site in sites)
            {
                var samples = new Samples(connect[site.Name]);
                report.Row(site.Name, Format.Number(samples.Percentile(50), "0.00"), Format.Number(samples.Percentile(90), "0.00"),
                    Format.Number(samples.Percentile(99), "0.00"), Format.Number(rates[site.Name]));
            }
            report.Line();
        }
        finally
        {
            openAI.UniqueCallIds = false;
        }
    }
}
