using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

/// <summary>
/// Part 2: the first cold load of <c>/</c> with the browser cache disabled: requests, bytes on the wire
/// (compressed, headers included, from CDP), DOMContentLoaded, and which resources blocked rendering.
/// </summary>
internal static class PageWeightSection
{
    private sealed record Resource(string Url, long WireBytes, string Encoding, string CacheControl, string BlockingStatus);

    public static async Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Page weight ...");
        await using var app = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay");
        var loads = new List<(List<Resource> Resources, double DomContentLoaded)>();
        // One unmeasured load warms the server's JIT; the browser cache is off for every measured one.
        for (var run = 0; run <= options.Runs; run++)
        {
            var load = await LoadOnceAsync(browser, app.Url, disableCache: true);
            if (run > 0)
                loads.Add(load);
        }

        var first = loads[0].Resources;
        var dcl = new Samples(loads.Select(l => l.DomContentLoaded));
        var blocking = string.Join(", ", first.Where(r => r.BlockingStatus == "blocking").Select(r => Path(r.Url)));
        report.Line("## 2. Page weight: first cold load of `/` (cache disabled)");
        report.Line();
        report.Line($"{first.Count} requests, {Format.Number(first.Sum(r => r.WireBytes) / 1024.0, "0.0")} KiB transferred (compressed, headers included); " +
                    $"DOMContentLoaded {dcl.Describe()} ms (median (min–max) of {dcl.Count}); " +
                    $"render-blocking: {(blocking.Length > 0 ? blocking : "none")}.");
        // A first visit in a fresh profile has an empty cache rather than a disabled one; the counts can differ
        // (with the cache disabled Chromium may fetch a preloaded module twice).
        var (freshProfile, freshDcl) = await LoadOnceAsync(browser, app.Url, disableCache: false);
        report.Line();
        report.Line($"Same load in a fresh profile (empty cache, not disabled): {freshProfile.Count} requests, " +
                    $"{Format.Number(freshProfile.Sum(r => r.WireBytes) / 1024.0, "0.0")} KiB, DOMContentLoaded {Format.Number(freshDcl)} ms.");
        report.Line();
        report.Row("resource", "bytes on the wire", "Content-Encoding (Chromium over http)", "gzip / br body bytes (curl-like fetch)", "Cache-Control", "render-blocking");
        report.Row("---", "---", "---", "---", "---", "---");
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None });
        foreach (var resource in first)
        {
            var gzip = await BodyBytesAsync(http, resource.Url, "gzip");
            var brotli = await BodyBytesAsync(http, resource.Url, "br");
            report.Row(Path(resource.Url), resource.WireBytes, resource.Encoding, $"{gzip} / {brotli}", resource.CacheControl, resource.BlockingStatus);
        }
        report.Line();
    }

    private static async Task<(List<Resource>, double)> LoadOnceAsync(IBrowser browser, Uri url, bool disableCache)
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var cdp = await context.NewCDPSessionAsync(page);
        var responses = new ConcurrentDictionary<string, (string Url, string Encoding, string CacheControl)>();
        var finished = new ConcurrentDictionary<string, long>();
        cdp.Event("Network.responseReceived").OnEvent += (_, e) =>
        {
            if (e is not { } message)
                return;
            var response = message.GetProperty("response");
            var headers = response.GetProperty("headers");
            responses[message.GetProperty("requestId").GetString()!] = (response.GetProperty("url").GetString()!, Header(headers, "content-encoding"), Header(headers, "cache-control"));
        };
        cdp.Event("Network.loadingFinished").OnEvent += (_, e) =>
        {
            if (e is { } message)
                finished[message.GetProperty("requestId").GetString()!] = (long)message.GetProperty("encodedDataLength").GetDouble();
        };
        await cdp.SendAsync("Network.enable");
        if (disableCache)
            await cdp.SendAsync("Network.setCacheDisabled", new() { ["cacheDisabled"] = true });

        await page.GotoAsync(url.ToString(), new() { WaitUntil = WaitUntilState.Load });
        // Module imports resolve after load starts; give late requests a moment to finish.
        await Task.Delay(1000);
        var timing = await page.EvaluateAsync<JsonElement>("""
            () => ({
              dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
              blocking: Object.fromEntries(performance.getEntriesByType('resource').map((e) => [e.name, e.renderBlockingStatus ?? 'unknown'])),
            })
            """);
        var blocking = timing.GetProperty("blocking");
        var resources = responses
            .Select(pair => new Resource(pair.Value.Url, finished.GetValueOrDefault(pair.Key), pair.Value.Encoding, pair.Value.CacheControl,
                blocking.TryGetProperty(pair.Value.Url, out var status) ? status.GetString() ?? "" : "(document)"))
            .OrderBy(r => r.Url == url.ToString() ? 0 : 1).ThenBy(r => r.Url, StringComparer.Ordinal)
            .ToList();
        return (resources, timing.GetProperty("dcl").GetDouble());
    }

    private static string Header(JsonElement headers, string name)
    {
        foreach (var header in headers.EnumerateObject())
        {
            if (header.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                return header.Value.GetString() ?? "";
        }
        return "—";
    }

    private static async Task<long> BodyBytesAsync(HttpClient http, string url, string encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.AcceptEncoding.ParseAdd(encoding);
        using var response = await http.SendAsync(request);
        return (await response.Content.ReadAsByteArrayAsync()).LongLength;
    }

    private static string Path(string url) => new Uri(url).PathAndQuery;
}
