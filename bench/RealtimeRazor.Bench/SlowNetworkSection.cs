using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

/// <summary>
/// Part 2a: what a first-time user on a slow connection waits for. Navigation → an enabled Connect
/// button, cold cache, with Chromium's own network emulation (CDP <c>Network.emulateNetworkConditions</c>:
/// 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up — DevTools' "Fast 3G"-like profile the target names).
/// The time is the page's own clock (<c>performance.now()</c>, zero at navigation start), read by a
/// MutationObserver the moment the script removes <c>disabled</c>; bytes are CDP's encodedDataLength
/// (compressed, headers included) of everything fetched by then.
/// </summary>
internal static class SlowNetworkSection
{
    public const double LatencyMs = 150;
    public const double DownloadBytesPerSecond = 1_600_000 / 8.0;
    public const double UploadBytesPerSecond = 750_000 / 8.0;

    /// <summary>Records when #connect loses its disabled attribute, without touching the page.</summary>
    private const string EnabledProbe = """
        (() => {
          window.__connectEnabledAt = null;
          new MutationObserver((_, observer) => {
            const button = document.getElementById('connect');
            if (button !== null && !button.disabled) {
              window.__connectEnabledAt = performance.now();
              observer.disconnect();
            }
          }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
        })();
        """;

    private sealed record Load(double ConnectEnabled, double DomContentLoaded, int Requests, long WireBytes, int ModuleDepth, string Protocol, string Timeline);

    public static async Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Slow network: navigation → enabled Connect ...");
        var builds = new List<(string Label, string Folder)> { ("this build", publishFolder) };
        if (options.CompareApp is { } other)
            builds.Add(("compared build", other));

        // Plain http on loopback is HTTP/1.1 (six connections per host in Chromium); a deployment behind TLS
        // (nginx, Caddy) serves HTTP/2, where every request shares one connection. Both are measured.
        var apps = new List<(string Label, AppProcess App)>();
        try
        {
            foreach (var https in new[] { false, true })
            {
                foreach (var (label, folder) in builds)
                    apps.Add(($"{label}, {(https ? "HTTPS (HTTP/2)" : "http (HTTP/1.1)")}", await BenchApp.StartAsync(folder, openAI.BaseUrl, "Relay", https: https)));
            }
            var loads = apps.ToDictionary(a => a.Label, _ => new List<Load>());
            // One unmeasured load each warms the server's JIT and Razor; then builds alternate run by run.
            foreach (var (_, app) in apps)
                await LoadOnceAsync(browser, app.Url);
            for (var run = 0; run < options.Runs; run++)
            {
                foreach (var (label, app) in apps)
                {
                    var load = await LoadOnceAsync(browser, app.Url);
                    loads[label].Add(load);
                    Console.Error.WriteLine($"  {label,-36} run {run + 1}: Connect enabled at {load.ConnectEnabled:0} ms, {load.Requests} requests, {load.WireBytes} bytes, {load.Protocol}");
                }
            }

            report.Line($"## 2a. Navigation → enabled Connect on a slow network (cold cache), ms: median (min–max) of {options.Runs}");
            report.Line();
            report.Line($"Chromium's network emulation: {LatencyMs:0} ms latency, {DownloadBytesPerSecond * 8 / 1e6:0.0} Mbit/s down, " +
                        $"{UploadBytesPerSecond * 8 / 1e3:0} kbit/s up; a fresh browser context per load (empty cache, new connections). " +
                        "HTTPS uses a self-signed certificate the browser context is told to accept.");
            report.Line();
            report.Row("build, transport", "navigation → Connect enabled", "DOMContentLoaded", "requests before Connect", "KB on the wire before Connect", "module fetch waves", "protocol seen");
            report.Row("---", "---", "---", "---", "---", "---", "---");
            foreach (var (label, runs) in loads)
            {
                report.Row(label, new Samples(runs.Select(r => r.ConnectEnabled)).Describe(), new Samples(runs.Select(r => r.DomContentLoaded)).Describe(),
                    new Samples(runs.Select(r => (double)r.Requests)).Describe(),
                    new Samples(runs.Select(r => r.WireBytes / 1000.0)).Describe("0.0"),
                    new Samples(runs.Select(r => (double)r.ModuleDepth)).Describe(), string.Join(", ", runs.Select(r => r.Protocol).Distinct()));
            }
            report.Line();
            report.Line("Requests of the median run (path: sent → finished ms after navigation start):");
            report.Line();
            foreach (var (label, runs) in loads)
                report.Line($"- {label}: {runs.OrderBy(r => r.ConnectEnabled).ElementAt(runs.Count / 2).Timeline}");
            report.Line();
        }
        finally
        {
            foreach (var (_, app) in apps)
                await app.DisposeAsync();
        }
    }

    private static async Task<Load> LoadOnceAsync(IBrowser browser, Uri url)
    {
        await using var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
        await context.AddInitScriptAsync(EnabledProbe);
        var page = await context.NewPageAsync();
        var cdp = await context.NewCDPSessionAsync(page);
        var sent = new ConcurrentDictionary<string, (string Url, double At)>();
        var finished = new ConcurrentDictionary<string, (long Bytes, double At)>();
        var protocols = new ConcurrentDictionary<string, byte>();
        cdp.Event("Network.responseReceived").OnEvent += (_, e) =>
        {
            if (e is { } message && message.GetProperty("response").TryGetProperty("protocol", out var protocol))
                protocols[protocol.GetString() ?? "?"] = 0;
        };
        cdp.Event("Network.requestWillBeSent").OnEvent += (_, e) =>
        {
            if (e is { } message)
                sent[message.GetProperty("requestId").GetString()!] = (message.GetProperty("request").GetProperty("url").GetString()!, message.GetProperty("timestamp").GetDouble());
        };
        cdp.Event("Network.loadingFinished").OnEvent += (_, e) =>
        {
            if (e is { } message)
                finished[message.GetProperty("requestId").GetString()!] = ((long)message.GetProperty("encodedDataLength").GetDouble(), message.GetProperty("timestamp").GetDouble());
        };
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new()
        {
            ["offline"] = false,
            ["latency"] = LatencyMs,
            ["downloadThroughput"] = DownloadBytesPerSecond,
            ["uploadThroughput"] = UploadBytesPerSecond,
        });

        await page.GotoAsync(url.ToString(), new() { WaitUntil = WaitUntilState.Commit });
        await page.WaitForFunctionAsync("() => window.__connectEnabledAt !== null", null, new() { Timeout = 30_000, PollingInterval = 20 });
        var timing = await page.EvaluateAsync<JsonElement>("""
            () => ({
              enabled: window.__connectEnabledAt,
              dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
              origin: performance.timeOrigin,
            })
            """);
        var enabled = timing.GetProperty("enabled").GetDouble();

        // CDP timestamps are monotonic seconds; the document request is the navigation's start.
        var documentId = sent.OrderBy(s => s.Value.At).First().Key;
        var start = sent[documentId].At;
        var before = sent
            .Where(s => finished.TryGetValue(s.Key, out var f) && (f.At - start) * 1000 <= enabled + 1)
            .Select(s => (Path: new Uri(s.Value.Url).AbsolutePath, Sent: (s.Value.At - start) * 1000, Finished: (finished[s.Key].At - start) * 1000, finished[s.Key].Bytes))
            .OrderBy(r => r.Sent).ToList();
        var scripts = before.Where(r => r.Path.EndsWith(".js", StringComparison.Ordinal)).ToList();
        var timeline = string.Join("; ", before.Select(r => $"{r.Path} {r.Sent:0}→{r.Finished:0}"));
        return new Load(enabled, timing.GetProperty("dcl").GetDouble(), before.Count, before.Sum(r => r.Bytes), Waves(scripts.Select(r => (r.Sent, r.Finished)).ToList()),
            string.Join("+", protocols.Keys.Order(StringComparer.Ordinal)), timeline);
    }

    /// <summary>
    /// How many script fetches had to wait for an earlier one to finish: a chain main → its imports counts 2,
    /// everything requested at once counts 1. A request belongs to a new wave if it was sent after the
    /// previous wave's first response finished.
    /// </summary>
    private static int Waves(List<(double Sent, double Finished)> scripts)
    {
        var waves = 0;
        var waveEnds = double.NegativeInfinity;
        foreach (var (sent, finished) in scripts.OrderBy(s => s.Sent))
        {
            if (sent >= waveEnds)
            {
                waves++;
                waveEnds = finished;
            }
            else
            {
                waveEnds = Math.Min(waveEnds, finished);
            }
        }
        return waves;
    }
}
