using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace RealtimeRazor.Bench;

/// <summary>
/// What the Redis-backed limits add to a session start: the same Relay start (rate limit, caps, call
/// ownership) on an instance without Redis and on one with a real Redis on loopback, in one run,
/// alternating so both see the same machine load.
/// </summary>
internal static class SharedLimitsSection
{
    private const int Starts = 200;

    public static async Task RunAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Shared limits: starting Redis and two app instances (without and with Redis) ...");
        await using var redis = await RedisServer.StartAsync();
        await using var alone = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay");
        await using var shared = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay",
            new Dictionary<string, string> { ["Redis__Configuration"] = redis.Configuration, ["Records__Enabled"] = "false" });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var times = new Dictionary<string, List<double>> { ["in memory"] = [], ["Redis"] = [] };
        // Warm-up: JIT, connections, Lua script load.
        for (var i = 0; i < 10; i++)
        {
            await StartAndEndAsync(http, alone.Url);
            await StartAndEndAsync(http, shared.Url);
        }
        for (var i = 0; i < Starts; i++)
        {
            times["in memory"].Add(await StartAndEndAsync(http, alone.Url));
            times["Redis"].Add(await StartAndEndAsync(http, shared.Url));
        }

        var memory = new Samples(times["in memory"]);
        var withRedis = new Samples(times["Redis"]);
        report.Line($"## Shared limits: session start without and with Redis (D = {options.DelayMs} ms), ms over {Starts} starts each, alternating");
        report.Line();
        report.Row("instance", "p50", "p90", "p99", "min–max");
        report.Row("---", "---", "---", "---", "---");
        foreach (var (name, samples) in new[] { ("in memory", memory), ("Redis on loopback", withRedis) })
            report.Row(name, Format.Number(samples.Median, "0.00"), Format.Number(samples.Percentile(90), "0.00"), Format.Number(samples.Percentile(99), "0.00"),
                $"{Format.Number(samples.Min, "0.00")}–{Format.Number(samples.Max, "0.00")}");
        report.Line();
        report.Line($"Added by Redis at p50: {Format.Number(withRedis.Median - memory.Median, "0.00")} ms per session start " +
                    "(a rate-limit window script, the slot reservation and the call binding: three round trips to Redis).");
        report.Line();
    }

    /// <summary>POST an offer (timed: the browser's wait), then hang the call up so the caps never fill.</summary>
    private static async Task<double> StartAndEndAsync(HttpClient http, Uri app)
    {
        using var offer = new StringContent(SampleOffer.Sdp, Encoding.UTF8);
        offer.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        var clock = Stopwatch.StartNew();
        using var created = await http.PostAsync(new Uri(app, "api/realtime/calls"), offer);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (created.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"A session start answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        using var ended = await http.DeleteAsync(new Uri(app, created.Headers.Location!.OriginalString));
        return elapsed;
    }
}
