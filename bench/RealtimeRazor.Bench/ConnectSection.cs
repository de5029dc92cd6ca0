using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

internal static class ConnectSection
{
    public static async Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options)
    {
        Console.Error.WriteLine("Connect: starting the app in Relay and in Direct, the seed site and the fake peer ...");
        await using var relay = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay");
        await using var direct = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Direct");
        // Off by default against anything but api.openai.com; turned on here, against the fake that knows dcid.
        await using var warp = await BenchApp.StartAsync(publishFolder, openAI.BaseUrl, "Relay",
            new Dictionary<string, string> { ["Realtime__PreNegotiatedDataChannel"] = "true" });
        await using var compared = options.CompareApp is { } other ? await BenchApp.StartAsync(Path.GetFullPath(other), openAI.BaseUrl, "Relay") : null;
        await using var seed = new SeedSite(openAI);
        var bench = new ConnectBenchmark(browser, openAI);
        await bench.StartPeerAsync();
        var variants = new List<ConnectVariant>
        {
            new ConnectVariant("Ours, Relay", relay.Url.ToString(), WaitForEnabledButton: true),
            new ConnectVariant("Ours, Direct", direct.Url.ToString(), WaitForEnabledButton: true),
            new ConnectVariant("Seed baseline (serial)", seed.PageUrl(openAI), WaitForEnabledButton: false),
            new ConnectVariant("Ours, Relay, pre-negotiated channel", warp.Url.ToString(), WaitForEnabledButton: true),
        };
        if (compared is not null)
            variants.Add(new ConnectVariant("Compared build, Relay", compared.Url.ToString(), WaitForEnabledButton: true));
        var results = await bench.RunAsync(variants, options.Runs);
        await bench.StopPeerAsync();

        var d = options.DelayMs;
        var baseline = results["Seed baseline (serial)"];
        var baselineOpen = new Samples(baseline.Select(r => r.ChannelOpen)).Median;
        var baselineAudio = new Samples(baseline.Select(r => r.FirstAudio)).Median;
        var baselineEvent = new Samples(baseline.Select(r => r.FirstEvent)).Median;

        report.Line($"## 1. Connect time (D = {d} ms), ms: median (min–max) of {options.Runs}");
        report.Line();
        report.Row("variant", "click → channel open", "click → first server event", "click → first audio", "open − D", "fake's service time", "open − service", "OpenAI requests / connect", "ours / seed (open, event, audio)", "failed samples (after one retry)");
        report.Row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---");
        foreach (var (name, runs) in results)
        {
            var open = new Samples(runs.Select(r => r.ChannelOpen));
            var audio = new Samples(runs.Select(r => r.FirstAudio));
            var firstEvent = new Samples(runs.Select(r => r.FirstEvent));
            report.Row(name, open.Describe(), firstEvent.Describe(), audio.Describe(),
                new Samples(runs.Select(r => r.ChannelOpen - d)).Describe(),
                new Samples(runs.Select(r => r.ServiceTime)).Describe(),
                new Samples(runs.Select(r => r.ChannelOpen - r.ServiceTime)).Describe(),
                new Samples(runs.Select(r => (double)r.UpstreamRequests)).Describe(),
                $"{Format.Number(open.Median / baselineOpen, "0.00")}, {Format.Number(firstEvent.Median / baselineEvent, "0.00")}, {Format.Number(audio.Median / baselineAudio, "0.00")}",
                runs.Count(r => r.Failure is not null));
        }
        report.Line();
        report.Line("Requests after the click (path start→end ms), from the median-channel-open run of each variant:");
        report.Line();
        foreach (var (name, runs) in results)
        {
            var measured = runs.Where(r => r.Failure is null).OrderBy(r => r.ChannelOpen).ToList();
            if (measured.Count > 0)
            {
                var median = measured[measured.Count / 2];
                report.Line($"- {name}: microphone ready at {Format.Number(median.MicrophoneReady)} ms; {median.Requests}");
            }
            foreach (var failed in runs.Where(r => r.Failure is not null))
                report.Line($"- {name}: a sample failed twice: {failed.Failure?.Replace('|', '/')}");
        }
        report.Line();
    }
}
