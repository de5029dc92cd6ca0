using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Bench;

/// <summary>
/// The published app as its own process (<c>dotnet RealtimeRazor.Web.dll</c>), as an operator runs it,
/// so its memory is its own and nothing of the benchmark shares its heap or thread pool.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    /// <summary>Generous: on a machine shared with builds, a cold start can take tens of seconds.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly Process _process;

    private AppProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int ProcessId => _process.Id;

    /// <summary>Publishes the web project in Release into the benchmark's artifacts folder and returns the folder.</summary>
    public static Task<string> PublishAsync(string repositoryRoot) =>
        PublishAsync(repositoryRoot, Path.Combine("RealtimeRazor.Web", "RealtimeRazor.Web.csproj"), "web");

    /// <summary>Publishes <paramref name="projectPath"/> (relative to the repository) in Release to artifacts/bench/<paramref name="folder"/>.</summary>
    public static async Task<string> PublishAsync(string repositoryRoot, string projectPath, string folder)
    {
        var output = Path.Combine(repositoryRoot, "artifacts", "bench", folder);
        var project = Path.Combine(repositoryRoot, projectPath);
        Console.Error.WriteLine($"Publishing {Path.GetFileNameWithoutExtension(project)} (Release) to {Path.GetRelativePath(repositoryRoot, output)} ...");
        var publish = Process.Start(new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-o", output, "--nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("dotnet could not be started");
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        if (publish.ExitCode != 0)
            throw new InvalidOperationException($"dotnet publish failed:\n{await stdout}\n{await stderr}");
        return output;
    }

    /// <summary>Starts the app on a free loopback port in Production and waits until it answers.</summary>
    /// <param name="assembly">Another published app's entry assembly (the memory section's empty app); it ignores the app's settings.</param>
    /// <param name="https">Serve HTTPS (HTTP/2 by ALPN, as behind a TLS proxy) with a self-signed certificate for 127.0.0.1.</param>
    public static async Task<AppProcess> StartAsync(string publishFolder, string openAIBaseUrl, string negotiation, IReadOnlyDictionary<string, string>? environment = null,
        string assembly = "RealtimeRazor.Web.dll", bool https = false)
    {
        var port = FreePort();
        var scheme = https ? "https" : "http";
        var start = new ProcessStartInfo("dotnet", [Path.Combine(publishFolder, assembly)])
        {
            WorkingDirectory = publishFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"{scheme}://127.0.0.1:{port}";
        if (https)
        {
            start.Environment["Kestrel__Certificates__Default__Path"] = LoopbackCertificate.Value;
            start.Environment["Kestrel__Certificates__Default__Password"] = CertificatePassword;
        }
        start.Environment["OpenAI__BaseUrl"] = openAIBaseUrl;
        start.Environment["OpenAI__ApiKey"] = FakeOpenAI.ApiKey;
        start.Environment["Realtime__Negotiation"] = negotiation;
        // Loopback only. The production limits (10 sessions a minute, 2 at once per client) would turn
        // most benchmark offers into 429s from the one address the load comes from.
        start.Environment["Access__Mode"] = "Open";
        start.Environment["AllowedHosts"] = "127.0.0.1";
        start.Environment["Access__RateLimit__SessionsPerWindow"] = "1000000";
        start.Environment["Access__MaxSessionsPerUser"] = "1000000";
        start.Environment["Access__MaxSessions"] = "1000000";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started");
        // The app logs a JSON line per request: drain both pipes so a full pipe never blocks it.
        // BENCH_APP_LOG=1 shows the app's own log (its request log carries server-side durations).
        var echo = Environment.GetEnvironmentVariable("BENCH_APP_LOG") == "1";
        process.OutputDataReceived += (_, line) => { if (echo && line.Data is { } text) Console.Error.WriteLine($"  [app {port}] {text}"); };
        process.ErrorDataReceived += (_, line) => { if (echo && line.Data is { } text) Console.Error.WriteLine($"  [app {port}] {text}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var app = new AppProcess(process, new Uri($"{scheme}://127.0.0.1:{port}/"));
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The app exited at startup with code {process.ExitCode}.");
            try
            {
                using var response = await http.GetAsync(app.Url);
                if (response.IsSuccessStatusCode)
                    return app;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Still starting.
            }
            await Task.Delay(100);
        }
        await app.DisposeAsync();
        throw new TimeoutException($"The app did not answer within {StartTimeout.TotalSeconds:0} s.");
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
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
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
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // The process has exited.
        }
        return double.NaN;
    }

    private const string CertificatePassword = "bench";

    /// <summary>A self-signed certificate for 127.0.0.1 in the benchmark's artifacts, made once per run.</summary>
    private static readonly Lazy<string> LoopbackCertificate = new(() =>
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var path = Path.Combine(Repository.Root, "artifacts", "bench", "loopback.pfx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, CertificatePassword));
        return path;
    });

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
