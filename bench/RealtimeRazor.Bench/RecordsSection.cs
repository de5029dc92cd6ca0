using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using RealtimeRazor.Web.Realtime.Calls;
using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Bench;

/// <summary>
/// Part 5: conversations kept. (a) What recording adds to the controller's handling of each server event,
/// read from the controller's own <see cref="CallMetrics.EventHandling"/> histogram: 64 live Relay calls,
/// each fed whole turns (speech, transcripts, reply, usage, and a tool call every fifth turn) on its own
/// sideband, on an app with records off, on SQLite and on PostgreSQL, alternating rounds so all three
/// see the same machine load. (b) History with 10,000 conversations for the user and 1,000,000 items in
/// the database, seeded in bulk, on both providers: server time of the first page, a search, and one
/// conversation. The apps run in this process (the histogram is read with a <see cref="MeterListener"/>),
/// in Production, each with its own temp SQLite directory and PostgreSQL database.
/// </summary>
internal static class RecordsSection
{
    public const double AddedP99TargetMs = 1;
    public const double HistoryTargetMs = 100;
    private const int Calls = 64;
    private const int Rounds = 3;
    private const int TurnsPerRound = 30;
    private const int EventsPerTurn = 6;
    private static readonly TimeSpan TurnGap = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const int UserConversations = 10_000;
    private const int TotalItems = 1_000_000;
    private const int ItemsPerConversation = 20;
    private const int Requests = 50;

    /// <summary>The benchmark's browser identity (Open mode: records belong to the browser's cookie).</summary>
    private const string BrowserId = "benchBrowserIdentity1A";

    public static async Task RunAsync(Report report, FakeOpenAI openAI, BenchOptions options)
    {
        ThreadPool.SetMinThreads(256, 256);
        openAI.AnswerStatically();
        openAI.UniqueCallIds = true;
        openAI.Sideband.KeepReceived = false;
        openAI.Delay = TimeSpan.Zero;
        var opened = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        openAI.Sideband.OnOpen = callId => opened.TryAdd(callId, true);
        Console.Error.WriteLine("Records: starting PostgreSQL ...");
        await using var postgres = await PostgresServer.StartNewAsync();
        try
        {
            await EventHandlingAsync(report, openAI, postgres, opened);
            await HistoryAsync(report, openAI, postgres);
        }
        finally
        {
            openAI.Sideband.OnOpen = null;
            openAI.Sideband.KeepReceived = true;
            openAI.UniqueCallIds = false;
            openAI.Delay = TimeSpan.FromMilliseconds(options.DelayMs);
        }
    }

    private static async Task EventHandlingAsync(Report report, FakeOpenAI openAI, PostgresServer postgres, ConcurrentDictionary<string, bool> opened)
    {
        var configurations = new (string Name, Dictionary<string, string?> Settings)[]
        {
            ("records off", new() { ["Records:Enabled"] = "false" }),
            ("SQLite", new() { ["Records:Provider"] = "Sqlite" }),
            ("PostgreSQL", new() { ["Records:Provider"] = "PostgreSQL", ["ConnectionStrings:Records"] = Pooled(await postgres.CreateDatabaseAsync()) }),
        };
        var apps = configurations.Select(c => new InProcessApp(openAI, c.Settings)).ToList();
        var samples = configurations.ToDictionary(c => c.Name, _ => new List<double>());
        ConcurrentQueue<double>? sink = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CallMetrics.MeterName && instrument.Name == CallMetrics.EventHandlingName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => Volatile.Read(ref sink)?.Enqueue(value));
        listener.Start();
        try
        {
            // Round 0 warms every app up (JIT, pools, the schema); rounds 1.. are measured, each app in turn.
            for (var round = 0; round <= Rounds; round++)
            {
                for (var i = 0; i < apps.Count; i++)
                {
                    Console.Error.WriteLine($"Records: event handling, {configurations[i].Name}, round {round} of {Rounds} ...");
                    var calls = await StartCallsAsync(apps[i].Client, opened, Calls);
                    var measured = new ConcurrentQueue<double>();
                    Volatile.Write(ref sink, round > 0 ? measured : null);
                    await Task.WhenAll(calls.Select(call => TalkAsync(openAI, call.Id, round == 0 ? 3 : TurnsPerRound)));
                    // The last events are still being handled a moment after the fake sent them.
                    await Task.Delay(200);
                    Volatile.Write(ref sink, null);
                    samples[configurations[i].Name].AddRange(measured);
                    await HangUpAsync(apps[i].Client, openAI, calls);
                }
            }
        }
        finally
        {
            foreach (var app in apps)
                await app.DisposeAsync();
        }

        report.Line("## 5a. Recording's cost to event handling in the controller");
        report.Line();
        report.Line($"{Calls} live Relay calls on one app in this process (Production), each with its sideband open to the fake over loopback; each call's " +
                    $"loop sends whole turns on its own sideband ({EventsPerTurn} events: user item added, its transcription, assistant item added, " +
                    $"its transcript, item done, `response.done` with usage; every fifth turn a `current_time` function call the controller answers), " +
                    $"one turn every {TurnGap.TotalMilliseconds:0} ms, {TurnsPerRound} turns a round, {Rounds} rounds after a warm-up, the three apps " +
                    $"taking turns. Time = the controller's receive loop handling one event (parse, records, tools, usage), from its own " +
                    $"`{CallMetrics.EventHandlingName}` histogram. The fake, its sideband and the load share the process and the cores.");
        report.Line();
        var off = new Samples(samples[configurations[0].Name]);
        report.Row("records", "events", "p50 ms", "p99 ms", "max ms", $"added p99 vs off (target ≤ {AddedP99TargetMs:0} ms)");
        report.Row("---", "---", "---", "---", "---", "---");
        foreach (var (name, _) in configurations)
        {
            var s = new Samples(samples[name]);
            var added = s.Percentile(99) - off.Percentile(99);
            report.Row(name, s.Count, Format.Number(s.Median, "0.000"), Format.Number(s.Percentile(99), "0.000"), Format.Number(s.Max, "0.0"),
                name == configurations[0].Name ? "—" : $"{Format.Number(added, "0.000")} {(added <= AddedP99TargetMs ? "met" : "**missed**")}");
        }
        report.Line();
    }

    private static async Task HistoryAsync(Report report, FakeOpenAI openAI, PostgresServer postgres)
    {
        var providers = new (string Name, Dictionary<string, string?> Settings)[]
        {
            ("SQLite", new() { ["Records:Provider"] = "Sqlite" }),
            ("PostgreSQL", new() { ["Records:Provider"] = "PostgreSQL", ["ConnectionStrings:Records"] = Pooled(await postgres.CreateDatabaseAsync()) }),
        };
        var rows = new List<(string Provider, string Request, Samples Times)>();
        var seeding = new List<(string Provider, double Seconds)>();
        foreach (var (name, settings) in providers)
        {
            await using var app = new InProcessApp(openAI, settings);
            var client = app.Client;
            // The app migrates its schema as it starts; the seed then goes in by the provider's own bulk path.
            using (var first = await client.GetAsync("history"))
                first.EnsureSuccessStatusCode();
            Console.Error.WriteLine($"Records: seeding {name} with {UserConversations:N0} conversations for the user and {TotalItems:N0} items ...");
            var clock = Stopwatch.StartNew();
            var seed = new HistorySeed("browser:" + BrowserId, UserConversations, TotalItems / ItemsPerConversation, ItemsPerConversation);
            if (name == "SQLite")
                await seed.SqliteAsync(app.RecordsConnectionString);
            else
                await seed.PostgresAsync(settings["ConnectionStrings:Records"]!);
            seeding.Add((name, clock.Elapsed.TotalSeconds));

            var requests = new (string Name, string Path)[]
            {
                ("GET /history (first page)", "history"),
                ($"GET /history?q={HistorySeed.CommonWord} (said often)", "history?q=" + HistorySeed.CommonWord),
                ($"GET /history?q={HistorySeed.RareWord} (in 1 of {HistorySeed.RareEvery} conversations)", "history?q=" + HistorySeed.RareWord),
                ($"GET /history?q={HistorySeed.AbsentWord} (never said)", "history?q=" + HistorySeed.AbsentWord),
                ($"GET /history/{{id}} ({ItemsPerConversation} lines)", "history/" + seed.NewestUserConversation),
            };
            foreach (var (request, path) in requests)
            {
                Console.Error.WriteLine($"Records: {name}, {request} ...");
                var times = new List<double>();
                for (var i = 0; i < Requests + 5; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await client.GetAsync(path);
                    var body = await response.Content.ReadAsStringAsync();
                    var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (response.StatusCode != HttpStatusCode.OK)
                        throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
                    if (i == 0 && path.Contains(HistorySeed.AbsentWord, StringComparison.Ordinal) == body.Contains("href=\"history/", StringComparison.Ordinal))
                        throw new InvalidOperationException($"{path} did not list what the seed says it should");
                    if (i >= 5)
                        times.Add(elapsed);
                }
                rows.Add((name, request, new Samples(times)));
            }
        }

        report.Line("## 5b. History with 10,000 conversations for the user, 1,000,000 items in the database");
        report.Line();
        report.Line($"Seeded by the benchmark: {TotalItems / ItemsPerConversation:N0} conversations of {ItemsPerConversation} lines " +
                    $"(user and assistant sentences from a {HistorySeed.Vocabulary.Length}-word vocabulary, two tool calls each), {UserConversations:N0} of them " +
                    $"the user's, the rest spread over {HistorySeed.OtherOwners} other users, started over the last 29 days. Seed time: " +
                    string.Join(", ", seeding.Select(s => $"{s.Provider} {s.Seconds:0} s")) + ". " +
                    $"Server time = the request through the app's whole pipeline in this process (in-memory transport, no sockets), " +
                    $"{Requests} sequential requests after 5 to warm up, as the seeded user (their browser cookie).");
        report.Line();
        report.Row("provider", "request", "p50 ms", "p99 ms", "max ms", $"target (≤ {HistoryTargetMs:0} ms)");
        report.Row("---", "---", "---", "---", "---", "---");
        foreach (var (provider, request, times) in rows)
            report.Row(provider, request, Format.Number(times.Median, "0.0"), Format.Number(times.Percentile(99), "0.0"), Format.Number(times.Max, "0.0"),
                times.Percentile(99) <= HistoryTargetMs ? "met" : "**missed**");
        report.Line();
    }

    /// <summary>The test server's connection strings turn pooling off (tests stop the server under it); a site keeps it on.</summary>
    private static string Pooled(string connectionString) => connectionString.Replace("Pooling=false", "Pooling=true", StringComparison.Ordinal);

    private sealed record LiveCall(string Path, string Id);

    private static async Task<List<LiveCall>> StartCallsAsync(HttpClient http, ConcurrentDictionary<string, bool> opened, int count) =>
    [
        .. await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var offer = new StringContent(SampleOffer.Sdp, Encoding.UTF8);
            offer.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
            using var response = await http.PostAsync("api/realtime/calls", offer);
            if (!response.IsSuccessStatusCode || response.Headers.Location is not { } location)
                throw new InvalidOperationException($"The relay answered {(int)response.StatusCode}");
            var path = location.OriginalString.TrimStart('/');
            var id = path[(path.LastIndexOf('/') + 1)..];
            await Await.UntilAsync(() => opened.ContainsKey(id), $"the sideband of {id} to open", Patience);
            return new LiveCall(path, id);
        })),
    ];

    /// <summary>One call's turns, as OpenAI sends them on the sideband.</summary>
    private static async Task TalkAsync(FakeOpenAI openAI, string callId, int turns)
    {
        var random = new Random(callId.GetHashCode(StringComparison.Ordinal));
        // Calls do not speak in lockstep.
        await Task.Delay(random.Next((int)TurnGap.TotalMilliseconds));
        var previous = (string?)null;
        for (var turn = 0; turn < turns; turn++)
        {
            var user = $"item_u{turn}";
            var reply = $"item_a{turn}";
            var heard = HistorySeed.Sentence(random);
            var said = HistorySeed.Sentence(random);
            var sideband = openAI.Sideband;
            await sideband.SendAsync(callId, $$$"""{"type":"conversation.item.added","previous_item_id":{{{Json(previous)}}},"item":{"id":"{{{user}}}","type":"message","role":"user","content":[{"type":"input_audio","transcript":null}]}}""");
            await sideband.SendAsync(callId, $$$"""{"type":"conversation.item.input_audio_transcription.completed","item_id":"{{{user}}}","content_index":0,"transcript":"{{{heard}}}"}""");
            await sideband.SendAsync(callId, $$$"""{"type":"conversation.item.added","previous_item_id":"{{{user}}}","item":{"id":"{{{reply}}}","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":null}]}}""");
            await sideband.SendAsync(callId, $$$"""{"type":"response.output_audio_transcript.done","item_id":"{{{reply}}}","content_index":0,"transcript":"{{{said}}}"}""");
            await sideband.SendAsync(callId, $$$"""{"type":"conversation.item.done","item":{"id":"{{{reply}}}","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"{{{said}}}"}]}}""");
            var output = turn % 5 == 4
                ? $$"""{"id":"item_f{{turn}}","type":"function_call","call_id":"fc_{{turn}}","name":"current_time","arguments":"{}"}"""
                : "";
            if (output.Length > 0)
                await sideband.SendAsync(callId, $$$"""{"type":"response.output_item.done","response_id":"resp_{{{turn}}}","item":{{{output}}}}""");
            await sideband.SendAsync(callId, $$$"""{"type":"response.done","response":{"id":"resp_{{{turn}}}","status":"completed","output":[{{{output}}}],"usage":""" + Usage + "}}");
            previous = reply;
            await Task.Delay(TurnGap);
        }
    }

    private const string Usage = """{"total_tokens":420,"input_tokens":300,"output_tokens":120,"input_token_details":{"audio_tokens":200,"text_tokens":100},"output_token_details":{"audio_tokens":100,"text_tokens":20}}""";

    private static string Json(string? value) => value is null ? "null" : $"\"{value}\"";

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

    /// <summary>
    /// The app in this process, so the benchmark can listen to its meters: Production, Relay, open to the
    /// test client, limits out of the way, the clock tool on, its SQLite file in a temp directory.
    /// </summary>
    private sealed class InProcessApp(FakeOpenAI openAI, Dictionary<string, string?> settings) : WebApplicationFactory<CallRecorder>
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("rr-bench-records-").FullName;
        private HttpClient? _client;

        public HttpClient Client => _client ??= CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }).WithBrowser();

        public string RecordsConnectionString => $"Data Source={Path.Combine(_directory, "records.db")}";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            var all = new Dictionary<string, string?>
            {
                ["OpenAI:BaseUrl"] = openAI.BaseUrl,
                ["OpenAI:ApiKey"] = FakeOpenAI.ApiKey,
                ["Realtime:Negotiation"] = "Relay",
                ["Realtime:BuiltInTools:Clock:Enabled"] = "true",
                ["Access:Mode"] = "Open",
                ["AllowedHosts"] = "localhost",
                ["Access:RateLimit:SessionsPerWindow"] = "1000000",
                ["Access:MaxSessionsPerUser"] = "1000000",
                ["Access:MaxSessions"] = "1000000",
                ["Records:DataDirectory"] = _directory,
                // Its request log lines would be the benchmark's noise.
                ["Serilog:MinimumLevel:Default"] = "Warning",
                // EF Core logs its look for the migrations table of a new database as a failed command.
                ["Serilog:MinimumLevel:Override:Microsoft.EntityFrameworkCore.Database.Command"] = "Fatal",
            };
            foreach (var (key, value) in settings)
                all[key] = value;
            foreach (var (key, value) in all)
                builder.UseSetting(key, value);
        }

        public override async ValueTask DisposeAsync()
        {
            _client?.Dispose();
            await base.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Still open somewhere: the temp directory is the system's to clean.
            }
        }
    }

    /// <summary>The seeded user's browser: its identity cookie on every request.</summary>
    private static HttpClient WithBrowser(this HttpClient client)
    {
        client.DefaultRequestHeaders.Add("Cookie", $"{RecordOwner.BrowserCookie}={BrowserId}");
        return client;
    }
}
