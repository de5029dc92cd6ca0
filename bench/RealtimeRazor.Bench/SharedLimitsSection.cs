using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace RealtimeRazor.Bench;

/// <summary>
/// What the Redis-backed limits add to a session start: the same Relay start (rate limit, budget, caps,
/// call ownership) on an instance without Redis and on one with a real Redis on loopback (and, with
/// <c>--compare-app</c>, the compared build with its own Redis), in one run, alternating so all see the same
/// machine load. Then where the time goes: the Redis commands each start made (Redis's own count and
/// service time), one loopback round trip's floor, and what a round trip costs when awaited through
/// StackExchange.Redis as the app awaits its three (mostly the wait for a core), all measured from this process.
/// </summary>
internal static class SharedLimitsSection
{
    private const int Starts = 200;

    public static async Task RunAsync(Report report, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Shared limits: starting Redis and the app instances (without and with Redis) ...");
        // Records off everywhere: they are not what is measured, and several instances need PostgreSQL for them.
        // A budget is set (never reached) so its check runs as it does on a site that caps spending.
        var common = new Dictionary<string, string> { ["Records__Enabled"] = "false", ["Access__Budget__TotalDailyUsd"] = "1000000" };
        await using var redis = await RedisServer.StartAsync();
        await using var comparedRedis = options.CompareApp is not null ? await RedisServer.StartAsync() : null;
        await using var alone = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay", common);
        await using var shared = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay",
            new Dictionary<string, string>(common) { ["Redis__Configuration"] = redis.Configuration });
        await using var compared = options.CompareApp is { } other
            ? await BenchApp.StartAsync(other, openAI.BaseUrl, "Relay", new Dictionary<string, string>(common) { ["Redis__Configuration"] = comparedRedis!.Configuration })
            : null;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        // The measured calls stay up until the end (their hang-ups are not counted as the starts' commands): each needs its own id.
        openAI.UniqueCallIds = true;

        var instances = new List<(string Name, Uri Url, RedisServer? Redis)> { ("in memory", alone.Url, null), ("Redis on loopback", shared.Url, redis) };
        if (compared is not null)
            instances.Add(("compared build, Redis on loopback", compared.Url, comparedRedis));
        var times = instances.ToDictionary(instance => instance.Name, _ => new List<double>());
        // Warm-up: JIT, connections, Lua script load.
        for (var i = 0; i < 10; i++)
        {
            foreach (var instance in instances)
                await StartAndEndAsync(http, instance.Url);
        }
        // Where the time goes: round trips awaited with the client library the app uses, each after an idle moment as
        // the app's three are (its own work and other requests come between them), between the starts so under the same load.
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var awaited = new List<double>();
        var threeAwaited = new List<double>();
        using var probe = await RedisProbe.ConnectAsync(redis.Port);
        await probe.CommandAsync("CONFIG RESETSTAT");
        if (comparedRedis is not null)
        {
            using var comparedProbe = await RedisProbe.ConnectAsync(comparedRedis.Port);
            await comparedProbe.CommandAsync("CONFIG RESETSTAT");
        }
        for (var i = 0; i < Starts; i++)
        {
            var three = 0.0;
            for (var trip = 0; trip < 3; trip++)
            {
                await Task.Delay(1);
                var clock = Stopwatch.StartNew();
                await client.GetDatabase().PingAsync();
                awaited.Add(clock.Elapsed.TotalMilliseconds);
                three += awaited[^1];
            }
            threeAwaited.Add(three);
            foreach (var instance in instances)
                times[instance.Name].Add(await StartAndEndAsync(http, instance.Url, hangUp: false));
        }

        var memory = new Samples(times["in memory"]);
        report.Line($"## Shared limits: session start without and with Redis (D = {options.DelayMs} ms), ms over {Starts} starts each, alternating");
        report.Line();
        report.Row("instance", "p50", "p90", "p99", "min–max", "added at p50");
        report.Row("---", "---", "---", "---", "---", "---");
        foreach (var instance in instances)
        {
            var samples = new Samples(times[instance.Name]);
            report.Row(instance.Name, Format.Number(samples.Median, "0.00"), Format.Number(samples.Percentile(90), "0.00"), Format.Number(samples.Percentile(99), "0.00"),
                $"{Format.Number(samples.Min, "0.00")}–{Format.Number(samples.Max, "0.00")}", instance.Redis is null ? "" : Format.Number(samples.Median - memory.Median, "0.00"));
        }
        report.Line();

        // Where the time goes: what each start asked of Redis, and what one round trip costs at least.
        var floor = new List<double>();
        for (var i = 0; i < 2000; i++)
        {
            var clock = Stopwatch.StartNew();
            await probe.CommandAsync("PING");
            floor.Add(clock.Elapsed.TotalMilliseconds);
        }
        var roundTrip = new Samples(floor.Skip(200));
        report.Line($"One loopback round trip to Redis (PING from this process, async socket, 1800 samples): p50 {Format.Number(roundTrip.Median, "0.000")} ms, " +
                    $"p90 {Format.Number(roundTrip.Percentile(90), "0.000")} ms.");
        report.Line();
        var single = new Samples(awaited);
        report.Line($"One round trip awaited with StackExchange.Redis from this process after an idle millisecond, between the starts ({awaited.Count} samples): " +
                    $"p50 {Format.Number(single.Median, "0.00")} ms, p90 {Format.Number(single.Percentile(90), "0.00")} ms, {Format.Number(100.0 * awaited.Count(ms => ms > 1) / awaited.Count, "0")} % over 1 ms; " +
                    $"three of them (the app's count per start) summed: p50 {Format.Number(new Samples(threeAwaited).Median, "0.00")} ms.");
        report.Line();
        foreach (var instance in instances.Where(instance => instance.Redis is not null))
        {
            using var stats = await RedisProbe.ConnectAsync(instance.Redis!.Port);
            var commands = RedisProbe.CommandStats(await stats.CommandAsync("INFO commandstats"));
            report.Line($"Redis commands per session start, {instance.Name} (Redis's INFO commandstats over the {Starts} measured starts; service time inside Redis):");
            report.Line();
            report.Row("command", "per start", "µs each inside Redis");
            report.Row("---", "---", "---");
            foreach (var (command, calls, usecPerCall) in commands.Where(entry => entry.Command is not ("config" or "info" or "ping" or "client" or "cluster" or "echo")))
                report.Row(command, Format.Number(calls / (double)Starts, "0.00"), Format.Number(usecPerCall, "0.0"));
            report.Line();
        }
        // Leave no call behind.
        foreach (var instance in instances)
            await EndAllAsync(http, instance.Url);
        openAI.UniqueCallIds = false;
    }

    private static readonly List<(Uri App, string Location)> Live = [];

    /// <summary>POST an offer (timed: the browser's wait), then (unless told not to) hang the call up so the caps never fill.</summary>
    internal static async Task<double> StartAndEndAsync(HttpClient http, Uri app, bool hangUp = true)
    {
        using var offer = new StringContent(SampleOffer.Sdp, Encoding.UTF8);
        offer.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        var clock = Stopwatch.StartNew();
        using var created = await http.PostAsync(new Uri(app, "api/realtime/calls"), offer);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (created.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"A session start answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        if (hangUp)
            using (await http.DeleteAsync(new Uri(app, created.Headers.Location!.OriginalString))) { }
        else
            Live.Add((app, created.Headers.Location!.OriginalString));
        return elapsed;
    }

    private static async Task EndAllAsync(HttpClient http, Uri app)
    {
        foreach (var (_, location) in Live.Where(call => call.App == app).ToList())
            using (await http.DeleteAsync(new Uri(app, location))) { }
        Live.RemoveAll(call => call.App == app);
    }

    /// <summary>One plain RESP connection to Redis: inline commands, whole replies (simple strings and bulk strings).</summary>
    private sealed class RedisProbe(TcpClient client) : IDisposable
    {
        private readonly NetworkStream _stream = client.GetStream();
        private readonly byte[] _buffer = new byte[64 * 1024];

        public static async Task<RedisProbe> ConnectAsync(int port)
        {
            var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, port);
            return new RedisProbe(client);
        }

        public async Task<string> CommandAsync(string command)
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
            var reply = new StringBuilder();
            var expected = -1;
            while (true)
            {
                var read = await _stream.ReadAsync(_buffer);
                if (read == 0)
                    throw new IOException("Redis closed the connection");
                reply.Append(Encoding.ASCII.GetString(_buffer, 0, read));
                var text = reply.ToString();
                var firstLine = text.IndexOf("\r\n", StringComparison.Ordinal);
                if (firstLine < 0)
                    continue;
                if (text[0] != '$')
                    return text;
                if (expected < 0)
                    expected = firstLine + 2 + int.Parse(text[1..firstLine], CultureInfo.InvariantCulture) + 2;
                if (Encoding.ASCII.GetByteCount(text) >= expected)
                    return text;
            }
        }

        /// <summary>INFO commandstats lines: <c>cmdstat_evalsha:calls=3,usec=120,usec_per_call=40.00,...</c>.</summary>
        public static IEnumerable<(string Command, long Calls, double UsecPerCall)> CommandStats(string info) =>
            info.Split("\r\n")
                .Where(line => line.StartsWith("cmdstat_", StringComparison.Ordinal))
                .Select(line =>
                {
                    var name = line["cmdstat_".Length..line.IndexOf(':', StringComparison.Ordinal)];
                    var fields = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',').Select(field => field.Split('=')).ToDictionary(pair => pair[0], pair => pair[1]);
                    return (name, long.Parse(fields["calls"], CultureInfo.InvariantCulture), double.Parse(fields["usec_per_call"], CultureInfo.InvariantCulture));
                })
                .OrderByDescending(entry => entry.Item2);

        public void Dispose()
        {
            _stream.Dispose();
            client.Dispose();
        }
    }
}
