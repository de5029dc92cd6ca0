using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RealtimeRazor.Bench;

/// <summary>The published app as the benchmark runs it: Production, open to loopback, limits out of the way.</summary>
public static class BenchApp
{
    /// <summary>Generous: on a machine shared with builds, a cold start can take tens of seconds.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Publishes <paramref name="projectPath"/> (relative to the repository) in Release to artifacts/bench/<paramref name="folder"/>.</summary>
    public static async Task<string> PublishAsync(string projectPath = "RealtimeRazor.Web/RealtimeRazor.Web.csproj", string folder = "web")
    {
        var output = Path.Combine(Repository.Root, "artifacts", "bench", folder);
        Console.Error.WriteLine($"Publishing {Path.GetFileNameWithoutExtension(projectPath)} (Release) to {Path.GetRelativePath(Repository.Root, output)} ...");
        await AppProcess.PublishAsync(projectPath, output);
        return output;
    }

    /// <summary>Starts the app on a free loopback port in Production and waits until it answers.</summary>
    /// <param name="assembly">Another published app's entry assembly (the memory section's empty app); it ignores the app's settings.</param>
    /// <param name="https">Serve HTTPS (HTTP/2 by ALPN, as behind a TLS proxy) with a self-signed certificate for 127.0.0.1.</param>
    public static async Task<AppProcess> StartAsync(string publishFolder, string openAIBaseUrl, string negotiation, IReadOnlyDictionary<string, string>? environment = null,
        string assembly = "RealtimeRazor.Web.dll", bool https = false)
    {
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = https ? "https://127.0.0.1:0" : "http://127.0.0.1:0",
            ["OpenAI__BaseUrl"] = openAIBaseUrl,
            ["OpenAI__ApiKey"] = FakeOpenAI.ApiKey,
            ["Realtime__Negotiation"] = negotiation,
            // Loopback only. The production limits (10 sessions a minute, 2 at once per client) would turn
            // most benchmark offers into 429s from the one address the load comes from.
            ["Access__Mode"] = "Open",
            ["AllowedHosts"] = "127.0.0.1",
            ["Access__RateLimit__SessionsPerWindow"] = "1000000",
            ["Access__MaxSessionsPerUser"] = "1000000",
            ["Access__MaxSessions"] = "1000000",
        };
        if (https)
        {
            settings["Kestrel__Certificates__Default__Path"] = LoopbackCertificate.Value;
            settings["Kestrel__Certificates__Default__Password"] = CertificatePassword;
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            settings[key] = value;

        // BENCH_APP_LOG=1 shows the app's own log (its request log carries server-side durations).
        Action<string>? echo = Environment.GetEnvironmentVariable("BENCH_APP_LOG") == "1" ? line => Console.Error.WriteLine($"  [app] {line}") : null;
        var app = AppProcess.Start(Path.Combine(publishFolder, assembly), settings, publishFolder, echo);
        try
        {
            var url = await app.AddressAsync(StartTimeout);
            using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator })
            {
                Timeout = TimeSpan.FromSeconds(2),
            };
            await Await.UntilAsync(async () => await AnswersAsync(http, url), "the app to answer GET /", StartTimeout);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http, Uri url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false; // Still starting.
        }
    }

    private const string CertificatePassword = "bench";

    /// <summary>A self-signed certificate for 127.0.0.1 in the benchmark's artifacts, made once per run.</summary>
    private static readonly Lazy<string> LoopbackCertificate = new(() =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var path = Path.Combine(Repository.Root, "artifacts", "bench", "loopback.pfx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, CertificatePassword));
        return path;
    });
}
