using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RealtimeRazor.Testing;

/// <summary>
/// Real nginx on loopback running the repository's own deploy/nginx site config, with only its listen
/// addresses, certificate and upstream changed, so the documented setup is the tested one: HTTPS with a
/// self-signed certificate for 127.0.0.1 (clients trust it by its hash), plain http redirecting there.
/// </summary>
public sealed class NginxProxy : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private readonly string _certificateHash;

    private NginxProxy(Process process, string directory, Uri url, Uri httpUrl, string certificateHash)
    {
        _process = process;
        _directory = directory;
        Url = url;
        HttpUrl = httpUrl;
        _certificateHash = certificateHash;
    }

    /// <summary>The app's page as the browser reaches it: through nginx, over HTTPS, under /voice/.</summary>
    public Uri Url { get; }

    /// <summary>The same page over plain http, which nginx only redirects.</summary>
    public Uri HttpUrl { get; }

    /// <summary>nginx in front of <paramref name="apps"/>: one upstream server line each, round robin as shipped.</summary>
    public static async Task<NginxProxy> StartAsync(params Uri[] apps)
    {
        var directory = Directory.CreateTempSubdirectory("realtimerazor-nginx-").FullName;
        // Workers drop to an unprivileged user when nginx starts as root; they must still write their temp files.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        var port = FreePort();
        var httpPort = FreePort();
        var certificateHash = WriteCertificate(directory);
        var site = Adapt(File.ReadAllText(Path.Combine(Repository.Root, "deploy", "nginx", "realtime-razor.conf")),
            ("listen 80;", $"listen 127.0.0.1:{httpPort};"),
            ("listen 443 ssl;", $"listen 127.0.0.1:{port} ssl;"),
            ("/etc/letsencrypt/live/voice.example.com/fullchain.pem", Path.Combine(directory, "certificate.pem")),
            ("/etc/letsencrypt/live/voice.example.com/privkey.pem", Path.Combine(directory, "key.pem")),
            ("server 127.0.0.1:8080;", string.Join("\n    ", apps.Select(app => $"server {app.Authority};"))));
        File.WriteAllText(Path.Combine(directory, "site.conf"), site);
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 64; }
            http {
              access_log {{directory}}/access.log;
              client_body_temp_path {{directory}}/client_body;
              proxy_temp_path {{directory}}/proxy;
              fastcgi_temp_path {{directory}}/fastcgi;
              uwsgi_temp_path {{directory}}/uwsgi;
              scgi_temp_path {{directory}}/scgi;
              include {{directory}}/site.conf;
            }
            """);

        var process = Process.Start(new ProcessStartInfo(Executable(), ["-p", directory, "-c", Path.Combine(directory, "nginx.conf")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("nginx did not start");
        var proxy = new NginxProxy(process, directory, new Uri($"https://127.0.0.1:{port}/voice/"), new Uri($"http://127.0.0.1:{httpPort}/voice/"), certificateHash);
        await proxy.WaitUntilListeningAsync(port);
        await proxy.WaitUntilListeningAsync(httpPort);
        return proxy;
    }

    /// <summary>
    /// An HttpClient for <see cref="Url"/> that trusts nginx's certificate; redirects and cookies are the
    /// test's to see (a cookie jar would hide what Set-Cookie said).
    /// </summary>
    public HttpClient CreateClient()
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        handler.ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            certificate?.GetCertHashString(HashAlgorithmName.SHA256) == _certificateHash;
        return new HttpClient(handler) { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost, as PEM files for nginx; returns its SHA-256 hash.</summary>
    private static string WriteCertificate(string directory)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        File.WriteAllText(Path.Combine(directory, "certificate.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        return certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    public string ErrorLog => File.Exists(Path.Combine(_directory, "error.log")) ? File.ReadAllText(Path.Combine(_directory, "error.log")) : string.Empty;

    private async Task WaitUntilListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"nginx exited with {_process.ExitCode}: {await _process.StandardError.ReadToEndAsync()}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static string Adapt(string config, params (string From, string To)[] changes)
    {
        foreach (var (from, to) in changes)
        {
            if (!config.Contains(from, StringComparison.Ordinal))
                throw new InvalidOperationException($"deploy/nginx/realtime-razor.conf no longer contains '{from}'; update NginxProxy's adaptation.");
            config = config.Replace(from, to, StringComparison.Ordinal);
        }
        return config;
    }

    private static readonly string[] DebianExecutables = ["/usr/sbin/nginx", "/usr/bin/nginx"];

    /// <summary>NGINX_PATH, else Debian's nginx.</summary>
    private static string Executable() =>
        Environment.GetEnvironmentVariable("NGINX_PATH") is { Length: > 0 } configured ? configured
        : DebianExecutables.FirstOrDefault(File.Exists)
          ?? throw new InvalidOperationException("nginx is not installed: run scripts/test.sh, which installs it, or set NGINX_PATH.");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
