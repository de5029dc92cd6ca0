using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

/// <summary>
/// Part 4: the page's main-thread task time while connected with audio flowing both ways (the fake
/// microphone loops speech, the fake peer plays a tone), from CDP Performance.getMetrics TaskDuration
/// over a fixed window, in task-seconds per second. Lines drawn are counted to show what is drawn.
/// </summary>
internal static class ClientCpuSection
{
    // Lines drawn, wherever they are drawn: strokes on the page's own canvases, and frames the page
    // hands to a drawing worker (those strokes happen in the worker, out of this script's sight).
    private const string StrokeCounter = """
        (() => {
          window.__strokes = 0;
          const stroke = CanvasRenderingContext2D.prototype.stroke;
          CanvasRenderingContext2D.prototype.stroke = function (...args) { window.__strokes++; return stroke.apply(this, args); };
          const post = Worker.prototype.postMessage;
          Worker.prototype.postMessage = function (message, ...rest) {
            if (message && message.kind === 'draw') window.__strokes++;
            return post.call(this, message, ...rest);
          };
        })();
        """;

    // Headless Chromium keeps every page visible; this is what the page sees when its tab is hidden.
    private const string HideTab = """
        () => {
          Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
          document.dispatchEvent(new Event('visibilitychange'));
        }
        """;

    private sealed record Variant(string Name, string Url, bool OurPage, bool Hidden);

    public static async Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Client CPU ...");
        await using var app = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay");
        await using var compared = options.CompareApp is { } other ? await BenchApp.StartAsync(Path.GetFullPath(other), openAI.BaseUrl, "Relay") : null;
        await using var seed = new SeedSite(openAI);
        var peer = new ConnectBenchmark(browser, openAI);
        await peer.StartPeerAsync();
        List<Variant> variants =
        [
            new("Ours, visible", app.Url.ToString(), OurPage: true, Hidden: false),
            new("Ours, tab hidden", app.Url.ToString(), OurPage: true, Hidden: true),
            new("Seed baseline, visible (one waveform, every frame)", seed.PageUrl(openAI), OurPage: false, Hidden: false),
        ];
        if (compared is not null)
            variants.Add(new("Compared build, visible", compared.Url.ToString(), OurPage: true, Hidden: false));
        var rounds = Math.Clamp(options.Runs / 2, 1, 3);
        var results = variants.ToDictionary(v => v.Name, _ => new List<(double Task, double Script, double Strokes)>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var variant in variants)
            {
                var sample = await MeasureAsync(browser, variant, options.CpuSeconds);
                results[variant.Name].Add(sample);
                Console.Error.WriteLine($"  {variant.Name}: {sample.Task:0.000} task-s/s, {sample.Strokes:0} lines/s");
            }
        }
        await peer.StopPeerAsync();

        var seedTask = new Samples(results[variants[2].Name].Select(r => r.Task)).Median;
        report.Line($"## 4. Client main-thread time while connected ({options.CpuSeconds} s window, audio both ways), median (min–max) of {rounds}");
        report.Line();
        report.Row("page", "main-thread task s/s", "of which script s/s", "lines drawn/s", "vs seed baseline");
        report.Row("---", "---", "---", "---", "---");
        foreach (var (name, samples) in results)
        {
            var task = new Samples(samples.Select(s => s.Task));
            report.Row(name, task.Describe("0.000"), new Samples(samples.Select(s => s.Script)).Describe("0.000"),
                new Samples(samples.Select(s => s.Strokes)).Describe(), Format.Number(task.Median / seedTask, "0.00"));
        }
        report.Line();
    }

    private static async Task<(double Task, double Script, double Strokes)> MeasureAsync(IBrowser browser, Variant variant, int seconds)
    {
        await using var context = await browser.NewContextAsync();
        await context.AddInitScriptAsync(PageInstrumentation.WithThreshold());
        await context.AddInitScriptAsync(StrokeCounter);
        var page = await context.NewPageAsync();
        await page.GotoAsync(variant.Url);
        var button = page.Locator(variant.OurPage ? "#connect:not([disabled])" : "#connect");
        await button.ClickAsync();
        await page.WaitForFunctionAsync("() => window.__bench.audioAt !== null", null, new() { Timeout = 20_000, PollingInterval = 50 });
        if (variant.Hidden)
            await page.EvaluateAsync(HideTab);
        // Let connection setup work finish before the window opens.
        await Task.Delay(1500);

        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Performance.enable", new() { ["timeDomain"] = "threadTicks" });
        var before = await MetricsAsync(cdp);
        var strokesBefore = await page.EvaluateAsync<double>("() => window.__strokes");
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var after = await MetricsAsync(cdp);
        var strokesAfter = await page.EvaluateAsync<double>("() => window.__strokes");
        var elapsed = after["Timestamp"] - before["Timestamp"];
        return ((after["TaskDuration"] - before["TaskDuration"]) / elapsed,
                (after["ScriptDuration"] - before["ScriptDuration"]) / elapsed,
                (strokesAfter - strokesBefore) / elapsed);
    }

    private static async Task<Dictionary<string, double>> MetricsAsync(ICDPSession cdp)
    {
        var result = await cdp.SendAsync("Performance.getMetrics") ?? throw new InvalidOperationException("no metrics");
        return result.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
    }
}
