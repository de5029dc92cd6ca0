using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>The built app run as its own process, as an operator runs it: <c>dotnet RealtimeRazor.Web.dll</c>.</summary>
public sealed partial class AppProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> stdout = new();
    private readonly ConcurrentQueue<string> stderr = new();

    private AppProcess(string dll, string workingDirectory, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        // Only what the test sets: nothing from the machine (a real key, another environment) leaks in.
        foreach (var name in start.Environment.Keys.ToList())
            if (name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("OpenAI", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Realtime__", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Serilog__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(name);
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) stdout.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static AppProcess Start(string dll, IDictionary<string, string> environment, string? workingDirectory = null) =>
        new(dll, workingDirectory ?? Path.GetDirectoryName(dll)!, environment);

    public IReadOnlyList<string> StandardOutput => stdout.ToList();

    public string Output => string.Join('\n', stdout.Concat(stderr));

    public int ExitCode => process.ExitCode;

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

    [GeneratedRegex(@"Now listening on: \\?""?(http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    /// <summary>The address Kestrel chose for port 0, read from the startup log.</summary>
    public async Task<Uri> AddressAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (stdout.Select(line => Listening().Match(line)).FirstOrDefault(m => m.Success) is { } match)
                return new Uri(match.Groups[1].Value + "/");
            if (process.HasExited)
                Assert.Fail($"The app exited with {process.ExitCode} before listening:\n{Output}");
            if (clock.Elapsed > timeout)
                Assert.Fail($"The app did not start listening within {timeout.TotalSeconds} s:\n{Output}");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        process.Dispose();
    }
}

/// <summary>Where the build put the web app, next to this test assembly's own build output.</summary>
public static class BuildOutput
{
    /// <summary>RealtimeRazor.Web/bin/{Configuration}/{TargetFramework}/RealtimeRazor.Web.dll, matching this test build.</summary>
    public static string WebDll
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = tfm.Parent!.Name;
            var dll = Path.Combine(Repository.Root, "RealtimeRazor.Web", "bin", configuration, tfm.Name, "RealtimeRazor.Web.dll");
            Assert.True(File.Exists(dll), $"The web app's build output is missing: {dll}");
            return dll;
        }
    }
}
