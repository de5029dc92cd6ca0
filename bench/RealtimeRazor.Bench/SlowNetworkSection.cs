using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

/// <summary>
/// Part 2a: what a first-time user on a slow connection waits for, cold cache, with Chromium's own network
/// emulation (CDP <c>Network.emulateNetworkConditions</c>: 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up —
/// DevTools' "Fast 3G"-like profile the target names). Two moments, on the page's own clock
/// (<c>performance.now()</c>, zero at navigation start): Connect usable — on screen (first contentful paint)
/// and enabled, so a click starts a call (the page keeps a click that comes before its modules) — and the
/// page's modules ran (<c>html[data-ready]</c>; a build without that marker enables Connect from its module,
/// so its Connect time is both). Bytes are CDP's encodedDataLength (compressed, headers included) of
/// everything fetched before the modules ran.
/// </summary>
internal static class SlowNetworkSection
{
    public const double LatencyMs = 150;
    public const double DownloadBytesPerSecond = 1_600_000 / 8.0;
    public const double UploadBytesPerSecond = 750_000 / 8.0;

    /// <summary>Records when Connect is enabled, when the page first paints and when its modules ran, without touching the page.</summary>
    private const string Probe = """
        (() => {
          window.__connectEnabledAt = null;
          window.__firstPaintAt = null;
          window.__pageReadyAt = null;
          // Resolved once Connect is usable: awaited over CDP (see LoadOnceAsync), so nothing is polled on the page's
          // main thread while it loads. A build that keeps early clicks also waits for its modules (data-ready).
          let usable;
          window.__usable = new Promise((resolve) => { usable = resolve; });
          const check = () => {
            if (window.__connectEnabledAt !== null && window.__firstPaintAt !== null
                && (window.__pageReadyAt !== null || document.querySelector('#connect[data-connecting]') === null)) usable();
          };
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries())
              if (entry.name === 'first-contentful-paint') window.__firstPaintAt = entry.startTime;
            check();
          }).observe({ type: 'paint', buffered: true });
          new MutationObserver(() => {
            const button = document.getElementById('connect');
            if (window.__connectEnabledAt === null && button !== null && !button.disabled) window.__connectEnabledAt = performance.now();
            if (window.__pageReadyAt === null && document.documentElement?.dataset.ready === 'true') window.__pageReadyAt = performance.now();
            check();
          }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled', 'data-ready'] });
        })();
        """;

    private sealed record Load(double ConnectUsable, double ModulesRan, double DomContentLoaded, int Requests, long WireBytes, int ModuleDepth, string Protocol, string Timeline);

    public static async Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Slow network: navigation → usable Connect ...");
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
                    Console.Error.WriteLine($"  {label,-36} run {run + 1}: Connect usable at {load.ConnectUsable:0} ms, modules ran at {load.ModulesRan:0} ms, {load.Requests} requests, {load.WireBytes} bytes, {load.Protocol}");
                }
            }

            report.Line($"## 2a. Navigation → usable Connect on a slow network (cold cache), ms: median (min–max) of {options.Runs}");
            report.Line();
            report.Line($"Chromium's network emulation: {LatencyMs:0} ms latency, {DownloadBytesPerSecond * 8 / 1e6:0.0} Mbit/s down, " +
                        $"{UploadBytesPerSecond * 8 / 1e3:0} kbit/s up; a fresh browser context per load (empty cache, new connections). " +
                        "HTTPS uses a self-signed certificate the browser context is told to accept.");
            report.Line();
            report.Row("build, transport", "navigation → Connect usable", "navigation → modules ran", "DOMContentLoaded", "requests before modules ran", "KB on the wire before modules ran", "module fetch waves", "protocol seen");
            report.Row("---", "---", "---", "---", "---", "---", "---", "---");
            foreach (var (label, runs) in loads)
            {
                report.Row(label, new Samples(runs.Select(r => r.ConnectUsable)).Describe(), new Samples(runs.Select(r => r.ModulesRan)).Describe(),
                    new Samples(runs.Select(r => r.DomContentLoaded)).Describe(),
                    new Samples(runs.Select(r => (double)r.Requests)).Describe(),
                    new Samples(runs.Select(r => r.WireBytes / 1000.0)).Describe("0.0"),
                    new Samples(runs.Select(r => (double)r.ModuleDepth)).Describe(), string.Join(", ", runs.Select(r => r.Protocol).Distinct()));
            }
            report.Line();
            report.Line("Requests of the median run (path: sent → finished ms after navigation start):");
            report.Line();
            foreach (var (label, runs) in loads)
                report.Line($"- {label}: {runs.OrderBy(r => r.ConnectUsable).ElementAt(runs.Count / 2).Timeline}");
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
        await context.AddInitScriptAsync(Probe);
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
        // Awaited over CDP rather than with Playwright's WaitForFunction: that injects Playwright's own ~330 KB script
        // into the page and polls it, which a Chromium trace showed costing the page's main thread ~90 ms mid-load.
        await cdp.SendAsync("Runtime.evaluate", new() { ["expression"] = "window.__usable.then(() => true)", ["awaitPromise"] = true })
            .WaitAsync(TimeSpan.FromSeconds(30));
        var timing = await page.EvaluateAsync<JsonElement>("""
            () => ({
              enabled: window.__connectEnabledAt,
              paint: window.__firstPaintAt,
              ready: window.__pageReadyAt ?? window.__connectEnabledAt,
              dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
            })
            """);
        var usable = Math.Max(timing.GetProperty("enabled").GetDouble(), timing.GetProperty("paint").GetDouble());
        var ready = timing.GetProperty("ready").GetDouble();

        // CDP timestamps are monotonic seconds; the document request is the navigation's start.
        var documentId = sent.OrderBy(s => s.Value.At).First().Key;
        var start = sent[documentId].At;
        var before = sent
            .Where(s => finished.TryGetValue(s.Key, out var f) && (f.At - start) * 1000 <= ready + 1)
            .Select(s => (Path: new Uri(s.Value.Url).AbsolutePath, Sent: (s.Value.At - start) * 1000, Finished: (finished[s.Key].At - start) * 1000, finished[s.Key].Bytes))
            .OrderBy(r => r.Sent).ToList();
        var scripts = before.Where(r => r.Path.EndsWith(".js", StringComparison.Ordinal)).ToList();
        var timeline = string.Join("; ", before.Select(r => $"{r.Path} {r.Sent:0}→{r.Finished:0}"));
        return new Load(usable, ready, timing.GetProperty("dcl").GetDouble(), before.Count, before.Sum(r => r.Bytes), Waves(scripts.Select(r => (r.Sent, r.Finished)).ToList()),
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
