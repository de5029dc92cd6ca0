using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Infrastructure;

/// <summary>
/// The real app with only its infrastructure swapped: OpenAI is the fake, the key a test key.
/// Settings are passed as configuration, as an operator would.
/// </summary>
/// <param name="services">What an operator adds in code, such as their own tools.</param>
public sealed class AppFactory(FakeOpenAI openAI, IDictionary<string, string?>? settings = null, string environment = "Development", LogCapture? logs = null,
    Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (logs is not null)
            builder.ConfigureServices(services => services.AddSingleton<Serilog.Core.ILogEventSink>(logs));
        if (openAI.Certificate is { } fakeCertificate)
        {
            // The fake's self-signed certificate is trusted by its hash; everything else about the upstream client stays the app's.
            var pinned = fakeCertificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
            builder.ConfigureTestServices(services => services.AddHttpClient<OpenAIRealtimeClient>()
                .ConfigurePrimaryHttpMessageHandler((handler, _) =>
                    ((SocketsHttpHandler)handler).SslOptions.RemoteCertificateValidationCallback =
                        (_, certificate, _, _) => certificate?.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) == pinned));
        }
        if (services is not null)
            builder.ConfigureTestServices(services);
        builder.UseEnvironment(environment);
        builder.UseSetting("OpenAI:BaseUrl", openAI.BaseUrl);
        builder.UseSetting("OpenAI:ApiKey", FakeOpenAI.ApiKey);
        // Each app keeps its conversations apart (a test may name its own directory or database).
        builder.UseSetting("Records:DataDirectory", RecordsDirectory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
    }

    /// <summary>Where this app's SQLite records file is made unless the test says otherwise; removed with the app.</summary>
    public string RecordsDirectory { get; } = Directory.CreateTempSubdirectory("rr-records-").FullName;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
            return;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(RecordsDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere: the temp directory is the system's to clean.
        }
    }

    /// <summary>Starts Kestrel on a free loopback port, for a real browser, and returns its address.</summary>
    public Uri StartKestrel()
    {
        UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }
}
