using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;

using RealtimeRazor.Bench;

// RealtimeRazor benchmark. Usage:
//   dotnet run -c Release --project bench/RealtimeRazor.Bench -- [--delay 300] [--runs 5]
//       [--only connect,slow,weight,memory,relay,tools,shared,records,takeover,scale,cpu,socket] [--cpu-seconds 10] [--no-publish] [--gc-matrix]
//       [--compare-app PUBLISH_FOLDER]   (another build of the app, measured side by side)
// Prints Markdown tables on stdout and progress on stderr.

var options = BenchOptions.Parse(args);
var delay = TimeSpan.FromMilliseconds(options.DelayMs);
var clock = Stopwatch.StartNew();
var report = new Report();
report.Line($"# RealtimeRazor benchmark");
report.Line();
report.Line($"Command: `dotnet run -c Release --project bench/RealtimeRazor.Bench -- {string.Join(' ', args)}`  ");
report.Line($"Upstream delay D = {options.DelayMs} ms per OpenAI call (CORS preflights included); {options.Runs} measured runs per row after one warm-up; " +
            $"{Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
report.Line();

var publishFolder = options.Publish
    ? await BenchApp.PublishAsync()
    : Path.Combine(Repository.Root, "artifacts", "bench", "web");

using var openAI = new FakeOpenAI(delay: delay, logRequests: false);
using var playwright = await Playwright.CreateAsync();
await using var browser = await Chromium.LaunchAsync(playwright);

if (options.Runs > 0 && options.Sections.Contains("connect"))
    await report.SectionAsync("connect", () => ConnectSection.RunAsync(report, browser, openAI, publishFolder, options));
if (options.Runs > 0 && options.Sections.Contains("slow"))
    await report.SectionAsync("slow", () => SlowNetworkSection.RunAsync(report, browser, openAI, publishFolder, options));
if (options.Sections.Contains("weight"))
    await report.SectionAsync("weight", () => PageWeightSection.RunAsync(report, browser, openAI, publishFolder, options));
if (options.Sections.Contains("memory"))
    await report.SectionAsync("memory", () => MemorySection.RunAsync(report, openAI, publishFolder, options));
if (options.Sections.Contains("relay"))
    await report.SectionAsync("relay", () => RelayLoadSection.RunAsync(report, openAI, publishFolder, options));
if (options.Sections.Contains("tools"))
    await report.SectionAsync("tools", () => ToolSection.RunAsync(report, openAI, publishFolder, options));
if (options.Sections.Contains("shared"))
    await report.SectionAsync("shared", () => SharedLimitsSection.RunAsync(report, openAI, publishFolder, options));
if (options.Sections.Contains("records"))
    await report.SectionAsync("records", () => RecordsSection.RunAsync(report, openAI, options));
if (options.Sections.Contains("takeover"))
    await report.SectionAsync("takeover", () => TakeoverSection.RunAsync(report, openAI, publishFolder, options));
if (options.Sections.Contains("scale"))
    await report.SectionAsync("scale", () => ScaleSection.RunAsync(report, openAI, publishFolder, options));
if (options.Sections.Contains("cpu"))
    await report.SectionAsync("cpu", () => ClientCpuSection.RunAsync(report, browser, openAI, publishFolder, options));
if (options.Sections.Contains("socket"))
    await report.SectionAsync("socket", () => SocketSection.RunAsync(report, browser, openAI, publishFolder, options));

report.Line($"_Benchmark wall time {clock.Elapsed.TotalSeconds:0} s._");
Console.Out.Write(report.Text);
return 0;

/// <summary>Command-line options, all bounded.</summary>
internal sealed record BenchOptions(int DelayMs, int Runs, HashSet<string> Sections, int CpuSeconds, bool Publish, bool GcMatrix, string? CompareApp)
{
    public static BenchOptions Parse(string[] args)
    {
        var delay = 300;
        var runs = 5;
        var cpuSeconds = 10;
        var publish = true;
        var gcMatrix = false;
        string? compareApp = null;
        var sections = new HashSet<string>(["connect", "slow", "weight", "memory", "relay", "tools", "shared", "records", "takeover", "scale", "cpu", "socket"]);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--delay": delay = Math.Clamp(int.Parse(Next(), CultureInfo.InvariantCulture), 0, 5000); break;
                case "--runs": runs = Math.Clamp(int.Parse(Next(), CultureInfo.InvariantCulture), 1, 50); break;
                case "--cpu-seconds": cpuSeconds = Math.Clamp(int.Parse(Next(), CultureInfo.InvariantCulture), 2, 60); break;
                case "--only": sections = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                case "--no-publish": publish = false; break;
                case "--gc-matrix": gcMatrix = true; break;
                case "--compare-app": compareApp = Path.GetFullPath(Next()); break;
                default: throw new ArgumentException($"Unknown option {args[i]}. Options: --delay MS, --runs N, --only connect,slow,weight,memory,relay,tools,shared,records,takeover,scale,cpu,socket, --cpu-seconds S, --no-publish, --gc-matrix, --compare-app PUBLISH_FOLDER");
            }
        }
        return new BenchOptions(delay, runs, sections, cpuSeconds, publish, gcMatrix, compareApp);
    }
}

/// <summary>Markdown written as the benchmark goes, printed at the end so progress lines do not interleave.</summary>
internal sealed class Report
{
    private readonly System.Text.StringBuilder _text = new();

    public string Text => _text.ToString();

    public void Line(string line = "")
    {
        _text.AppendLine(line);
        Console.Error.WriteLine(line);
    }

    public void Row(params object[] cells) => Line("| " + string.Join(" | ", cells) + " |");

    /// <summary>
    /// Runs one section; if it fails anyway (samples are retried within), says so in the report and lets
    /// the next section run, so one bad sample never costs the tables already measured and still to come.
    /// </summary>
    public async Task SectionAsync(string name, Func<Task> run)
    {
        try
        {
            await run();
        }
        catch (Exception failure)
        {
            Line($"_Section {name} failed and was skipped: {failure.GetType().Name}: {failure.Message}_");
            Line();
        }
    }
}
