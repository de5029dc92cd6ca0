using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace RealtimeRazor.Bench;

/// <summary>
/// Takeover time: a Relay call runs on one of two instances sharing a real Redis; that instance is killed
/// (SIGKILL), and the clock runs until the fake OpenAI sees the survivor reopen the call's sideband. Each
/// kill takes a fresh instance: the killed one is replaced before the next call, which starts on the
/// instance that survived the last kill.
/// </summary>
internal static class TakeoverSection
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Takeover: starting Redis and two app instances ...");
        openAI.AnswerStatically();
        openAI.UniqueCallIds = true;
        var opened = new ConcurrentQueue<(string CallId, long At)>();
        openAI.Sideband.OnOpen = callId => opened.Enqueue((callId, Stopwatch.GetTimestamp()));
        await using var redis = await RedisServer.StartAsync();
        var environment = new Dictionary<string, string> { ["Redis__Configuration"] = redis.Configuration, ["Records__Enabled"] = "false" };
        var instances = new List<AppProcess>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var times = new List<double>();
        try
        {
            instances.Add(await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", environment));
            // One warm-up kill (JIT, connections, Lua script load), then the measured ones.
            for (var kill = 0; kill <= options.Runs; kill++)
            {
                instances.Add(await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", environment));
                var (victim, survivor) = (instances[0], instances[1]);
                var callId = await StartCallAsync(http, victim.Url);
                await Await.UntilAsync(() => opened.Any(open => open.CallId == callId), "the call's sideband to open", Patience);
                // Let the lease be renewed as it would be mid-call: the kill lands anywhere in the renewal period.
                await Task.Delay(TimeSpan.FromMilliseconds(1500 + Random.Shared.Next(1000)));

                var killedAt = Stopwatch.GetTimestamp();
                instances.Remove(victim);
                await victim.DisposeAsync();
                await Await.UntilAsync(() => opened.Count(open => open.CallId == callId) >= 2, "the survivor to reopen the call's sideband", Patience);
                var reopenedAt = opened.Where(open => open.CallId == callId).Select(open => open.At).Max();
                var seconds = Stopwatch.GetElapsedTime(killedAt, reopenedAt).TotalSeconds;
                Console.Error.WriteLine($"  kill {kill}: sideband reopened after {seconds:0.00} s{(kill == 0 ? " (warm-up)" : "")}");
                if (kill > 0)
                    times.Add(seconds);
                using var ended = await http.DeleteAsync(new Uri(survivor.Url, $"api/realtime/calls/{callId}"));
            }
        }
        finally
        {
            foreach (var instance in instances)
                await instance.DisposeAsync();
            openAI.Sideband.OnOpen = null;
            openAI.UniqueCallIds = false;
        }

        var samples = new Samples(times);
        report.Line($"## Takeover: SIGKILL of the instance running a call → the survivor's sideband open, s over {samples.Count} kills");
        report.Line();
        report.Row("lease TTL / renew / watch", "p50", "max", "min", "target");
        report.Row("---", "---", "---", "---", "---");
        report.Row("3 s / 1 s / 0.5 s", Format.Number(samples.Median, "0.00"), Format.Number(samples.Max, "0.00"), Format.Number(samples.Min, "0.00"), "≤ 5 s");
        report.Line();
    }

    private static async Task<string> StartCallAsync(HttpClient http, Uri app)
    {
        using var offer = new StringContent(SampleOffer.Sdp, Encoding.UTF8);
        offer.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        using var created = await http.PostAsync(new Uri(app, "api/realtime/calls"), offer);
        if (created.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"A session start answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        var location = created.Headers.Location!.OriginalString;
        return location[(location.LastIndexOf('/') + 1)..];
    }
}
