using System.Text.Json;
using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

/// <summary>One connect, all in the page's milliseconds from the click.</summary>
public sealed record ConnectRun(
    double ChannelOpen, double FirstEvent, double FirstAudio, double ServiceTime, int UpstreamRequests, double MicrophoneReady, string Requests)
{
    /// <summary>Why this sample failed twice (with the page's and the peer's state), or null for a measured one.</summary>
    public string? Failure { get; init; }

    /// <summary>A sample that failed: no figures (NaN is left out of every statistic), only the reason.</summary>
    public static ConnectRun Failed(string why) =>
        new(double.NaN, double.NaN, double.NaN, double.NaN, 0, double.NaN, "") { Failure = why };
}

/// <summary>A way of connecting that is measured: our page in a mode, or the seed baseline.</summary>
public sealed record ConnectVariant(string Name, string Url, bool WaitForEnabledButton);

/// <summary>
/// Part 1: click → data channel open and click → first assistant audio, for our page in Relay and
/// Direct and for the seed's serial flow, interleaved run by run so machine load drifts hit all alike.
/// </summary>
public sealed class ConnectBenchmark(IBrowser browser, FakeOpenAI openAI)
{
    private IBrowserContext? _peerContext;
    private IPage? _peer;

    /// <summary>Opens the fake OpenAI peer page and lets it answer every offer, speaking as soon as it has answered.</summary>
    public async Task StartPeerAsync()
    {
        var peerPage = openAI.ServePeerPage();
        _peerContext = await browser.NewContextAsync();
        var peer = _peer = await _peerContext.NewPageAsync();
        await peer.GotoAsync(peerPage);
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI !== undefined");
        // The tone starts with the call, so "first audio" is the app's path, not the benchmark's timing.
        openAI.AnswerCallsWith(offer => peer.EvaluateAsync<string>(
            "([offer, dcid]) => window.fakeOpenAI.answer(offer, dcid).then(sdp => { window.fakeOpenAI.speak(true); return sdp; })", new object?[] { offer.Sdp, offer.DataChannelId }));
    }

    public async Task<Dictionary<string, List<ConnectRun>>> RunAsync(IReadOnlyList<ConnectVariant> variants, int runs)
    {
        var results = variants.ToDictionary(v => v.Name, _ => new List<ConnectRun>());
        // One unmeasured connect per variant: JIT, connection pools and Chromium's first WebRTC setup.
        foreach (var variant in variants)
            await ConnectOrReportAsync(variant);
        for (var run = 0; run < runs; run++)
        {
            foreach (var variant in variants)
            {
                var result = await ConnectOrReportAsync(variant);
                results[variant.Name].Add(result);
                Console.Error.WriteLine(result.Failure is { } failure
                    ? $"  {variant.Name,-22} run {run + 1}: FAILED twice: {failure}"
                    : $"  {variant.Name,-22} run {run + 1}: channel {result.ChannelOpen:0} ms, audio {result.FirstAudio:0} ms, fake {result.ServiceTime:0} ms, {result.UpstreamRequests} upstream");
            }
        }
        return results;
    }

    /// <summary>
    /// One connect, retried once: a single bad sample (e.g. a lost first event under load) must not end
    /// the run. A second failure becomes a row entry carrying the page's and the peer's state.
    /// </summary>
    private async Task<ConnectRun> ConnectOrReportAsync(ConnectVariant variant)
    {
        try
        {
            return await ConnectOnceAsync(variant);
        }
        catch (Exception first) when (first is InvalidOperationException or TimeoutException or PlaywrightException)
        {
            Console.Error.WriteLine($"  {variant.Name}: sample failed, retrying once: {first.Message}");
        }
        try
        {
            return await ConnectOnceAsync(variant);
        }
        catch (Exception second) when (second is InvalidOperationException or TimeoutException or PlaywrightException)
        {
            return ConnectRun.Failed(second.Message);
        }
    }

    private async Task<ConnectRun> ConnectOnceAsync(ConnectVariant variant)
    {
        // A fresh context per connect: no cached preflight, no reused connection from the last run.
        await using var context = await browser.NewContextAsync();
        await context.AddInitScriptAsync(PageInstrumentation.WithThreshold());
        var page = await context.NewPageAsync();
        await page.GotoAsync(variant.Url);
        var button = page.Locator(variant.WaitForEnabledButton ? "#connect:not([disabled])" : "#connect");
        await button.WaitForAsync();
        await Task.Delay(200);
        openAI.TakeServed();

        await button.ClickAsync();
        try
        {
            await page.WaitForFunctionAsync("() => window.__bench.audioAt !== null && window.__bench.firstEventAt !== null",
                null, new() { Timeout = 20_000, PollingInterval = 50 });
        }
        catch (TimeoutException)
        {
            var state = await page.EvaluateAsync<string>("""
                () => JSON.stringify({ bench: window.__bench, status: document.getElementById('status')?.textContent,
                  error: document.getElementById('error')?.textContent })
                """);
            var peerState = _peer is null ? "none" : await _peer.EvaluateAsync<string>("""
                () => JSON.stringify({ calls: window.fakeOpenAI.callCount(), channel: window.fakeOpenAI.channelState(),
                  connection: window.fakeOpenAI.connectionState(), received: window.fakeOpenAI.received().length, sent: window.fakeOpenAI.sentCount() })
                """);
            throw new InvalidOperationException($"{variant.Name}: no channel, event or audio within 20 s; page state: {state}; peer: {peerState}");
        }
        var times = await page.EvaluateAsync<JsonElement>("""
            () => {
              const b = window.__bench;
              const requests = performance.getEntriesByType('resource')
                .filter((e) => e.startTime >= b.clickAt)
                .map((e) => `${new URL(e.name).pathname} ${Math.round(e.startTime - b.clickAt)}→${Math.round(e.responseEnd - b.clickAt)}`);
              return {
                channel: b.channelOpenAt - b.clickAt,
                event: b.firstEventAt - b.clickAt,
                audio: b.audioAt - b.clickAt,
                mic: b.gumEnd === null ? -1 : b.gumEnd - b.clickAt,
                requests: requests.join('; '),
              };
            }
            """);
        var served = openAI.TakeServed().Where(call => !call.Path.EndsWith("/hangup", StringComparison.Ordinal)).ToList();
        return new ConnectRun(
            times.GetProperty("channel").GetDouble(),
            times.GetProperty("event").GetDouble(),
            times.GetProperty("audio").GetDouble(),
            served.Sum(call => call.ServiceTime.TotalMilliseconds),
            served.Count,
            times.GetProperty("mic").GetDouble(),
            times.GetProperty("requests").GetString() ?? "");
    }

    public async Task StopPeerAsync()
    {
        openAI.AnswerStatically();
        if (_peerContext is not null)
            await _peerContext.DisposeAsync();
    }
}
