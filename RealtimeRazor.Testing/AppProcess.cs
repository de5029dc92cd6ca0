using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace RealtimeRazor.Testing;

/// <summary>
/// A built or published app run as its own process, as an operator runs it (<c>dotnet RealtimeRazor.Web.dll</c>):
/// its memory is its own and nothing of the caller shares its heap or thread pool.
/// </summary>
public sealed partial class AppProcess : IDisposable, IAsyncDisposable
{
    /// <summary>Output kept for assertions; a load run's request log beyond it is dropped, not buffered without end.</summary>
    private const int KeptLines = 10_000;

    private readonly Process process;
    private readonly ConcurrentQueue<string> stdout = new();
    private readonly ConcurrentQueue<string> stderr = new();
    private Uri? url;

    private AppProcess(string dll, string workingDirectory, IEnumerable<KeyValuePair<string, string>> environment, Action<string>? echo)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        // Only what the caller sets: nothing from the machine (a real key, another environment) leaks in.
        foreach (var name in start.Environment.Keys.ToList())
            if (name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("OpenAI", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Realtime__", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Serilog__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(name);
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        // The records file would go under the content root, which may be the source folder: each run keeps its
        // own in a temp directory that goes with it, unless the caller names one.
        RecordsDirectory = Directory.CreateTempSubdirectory("rr-app-records-").FullName;
        start.Environment["Records__DataDirectory"] = RecordsDirectory;
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(stdout, e.Data, echo);
        process.ErrorDataReceived += (_, e) => Keep(stderr, e.Data, echo);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts <paramref name="dll"/> on a free loopback port (unless ASPNETCORE_URLS says otherwise).</summary>
    /// <param name="echo">Also receives every output line, e.g. to show the app's log live.</param>
    public static AppProcess Start(string dll, IEnumerable<KeyValuePair<string, string>> environment, string? workingDirectory = null, Action<string>? echo = null) =>
        new(dll, workingDirectory ?? Path.GetDirectoryName(dll)!, environment, echo);

    private static void Keep(ConcurrentQueue<string> lines, string? line, Action<string>? echo)
    {
        if (line is null)
            return;
        echo?.Invoke(line);
        if (lines.Count < KeptLines)
            lines.Enqueue(line);
    }

    /// <summary>Where the app's SQLite records go (<c>Records:DataDirectory</c>) unless the caller set it; deleted on dispose.</summary>
    public string RecordsDirectory { get; }

    public IReadOnlyList<string> StandardOutput => stdout.ToList();

    public string Output => string.Join('\n', stdout.Concat(stderr));

    public int ExitCode => process.ExitCode;

    public int ProcessId => process.Id;

    /// <summary>The address it listens on, once <see cref="AddressAsync"/> has read it.</summary>
    public Uri Url => url ?? throw new InvalidOperationException("Not known yet: await AddressAsync first.");

    /// <summary>Waits for the process to end; false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> ExitedWithinAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"Now listening on: \\?""?(https?://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    /// <summary>The address Kestrel chose for port 0, read from the startup log.</summary>
    public async Task<Uri> AddressAsync(TimeSpan timeout)
    {
        await Await.UntilAsync(() =>
        {
            if (process.HasExited && !Listened())
                throw new InvalidOperationException($"The app exited with {process.ExitCode} before listening:\n{Output}");
            return Listened();
        }, $"the app to listen; so far:\n{Output}", timeout);
        return url!;

        bool Listened()
        {
            if (stdout.Select(line => Listening().Match(line)).FirstOrDefault(m => m.Success) is { } match)
                url = new Uri(match.Groups[1].Value + "/");
            return url is not null;
        }
    }

    /// <summary>
    /// <c>dotnet publish <paramref name="project"/> -c Release -o <paramref name="output"/></c>, from the
    /// repository root; throws with the tool's output when it fails or takes longer than 10 minutes.
    /// </summary>
    public static async Task PublishAsync(string project, string output)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "publish", project, "-c", "Release", "-o", output, "--nologo", "-v", "q" })
            start.ArgumentList.Add(argument);
        using var publish = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started");
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await publish.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            publish.Kill(entireProcessTree: true);
            throw;
        }
        if (publish.ExitCode != 0)
            throw new InvalidOperationException($"dotnet publish {project} failed:\n{await stdout}\n{await stderr}");
    }

    /// <summary>Resident set size from /proc (VmRSS), in MiB: what the operating system charges the app.</summary>
    public double ResidentMegabytes() => StatusKilobytes("VmRSS:") / 1024.0;

    /// <summary>
    /// The private part of the RSS (RssAnon + RssShmem: heap, stacks, JIT code in the W^X double map), in MiB.
    /// The rest is file-backed runtime and framework images, shared with every .NET process and reclaimable.
    /// </summary>
    public double PrivateMegabytes() => (StatusKilobytes("RssAnon:") + StatusKilobytes("RssShmem:")) / 1024.0;

    /// <summary>User + system CPU time the app has used so far (/proc/&lt;pid&gt;/stat, clock ticks of 10 ms).</summary>
    public double CpuMilliseconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks * 10.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private double StatusKilobytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // The process has exited.
        }
        return double.NaN;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        process.Dispose();
        try
        {
            Directory.Delete(RecordsDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Already gone, or still held: the temp directory is the system's to clean.
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
