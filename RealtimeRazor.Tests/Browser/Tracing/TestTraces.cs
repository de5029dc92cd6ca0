using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Browser.Tracing;

/// <summary>
/// The Playwright traces one test's browser contexts saved. The test's result decides their fate:
/// deleted when it passes, kept under <see cref="Folder"/> (and named in its output) when it fails.
/// </summary>
public sealed partial class TestTraces
{
    private const string Namespace = "RealtimeRazor.Tests.";
    private static readonly AsyncLocal<TestTraces?> s_current = new();
    private static readonly ConcurrentDictionary<ITest, TestTraces> s_running = new();

    private readonly List<string> _files = [];
    private readonly List<string> _problems = [];

    private TestTraces(string name) => Name = name;

    /// <summary>Where failed tests' traces are kept: artifacts/playwright-traces/ at the repository root.</summary>
    public static string Folder => Path.Combine(Repository.Root, "artifacts", "playwright-traces");

    /// <summary>The running test's traces; null outside a test run by <see cref="TraceKeepingTestFramework"/>.</summary>
    public static TestTraces? Current => s_current.Value;

    /// <summary>The test's display name made safe for a file name.</summary>
    public string Name { get; }

    /// <summary>Called as <paramref name="test"/> starts, on its own flow: everything it runs sees this scope.</summary>
    public static void Begin(ITest test)
    {
        var traces = new TestTraces(FileName(test.DisplayName));
        s_running[test] = traces;
        s_current.Value = traces;
    }

    /// <summary>Called with the test's result: deletes its traces when it passed; returns what was kept.</summary>
    public static IReadOnlyList<string> End(ITest test, bool failed)
    {
        if (!s_running.TryRemove(test, out var traces))
            return [];
        lock (traces._files)
        {
            if (failed)
                return [.. traces._files.Where(File.Exists).Select(file => Path.GetRelativePath(Repository.Root, file)), .. traces._problems];
            foreach (var file in traces._files)
                File.Delete(file);
            return [];
        }
    }

    /// <summary>A new file for one context's trace, e.g. <c>…Connect_works.user.zip</c>.</summary>
    public string NewFile(string context)
    {
        Directory.CreateDirectory(Folder);
        lock (_files)
        {
            var path = Path.Combine(Folder, $"{Name}.{context}.zip");
            for (var n = 2; _files.Contains(path); n++)
                path = Path.Combine(Folder, $"{Name}.{context}-{n}.zip");
            // A trace left by an earlier failed run of this test is stale either way.
            File.Delete(path);
            _files.Add(path);
            return path;
        }
    }

    /// <summary>Says, with the failed test's output, why a trace could not be saved.</summary>
    public void Problem(string message)
    {
        lock (_files)
            _problems.Add(message);
    }

    private static string FileName(string displayName)
    {
        var name = displayName.StartsWith(Namespace, StringComparison.Ordinal) ? displayName[Namespace.Length..] : displayName;
        var safe = UnsafeCharacters().Replace(name, "_").Trim('_');
        if (safe == name && safe.Length <= 120)
            return safe;
        // Theory rows differ only in their arguments: a short hash keeps their files apart.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(displayName)))[..8];
        return $"{safe[..Math.Min(safe.Length, 120)]}-{hash}";
    }

    [GeneratedRegex(@"[^A-Za-z0-9_.\-]+")]
    private static partial Regex UnsafeCharacters();
}
