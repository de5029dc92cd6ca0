using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RealtimeRazor.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster in a temp directory on a free loopback port, for tests that need the
/// real thing (there is no container engine to rely on). PostgreSQL refuses to run as root, so as root
/// the cluster belongs to the <c>postgres</c> user (runuser); otherwise to the current user. fsync is
/// off: nothing here needs to survive a power cut. <see cref="StopAsync"/> and <see cref="StartAsync"/>
/// let a test take the database away mid-call and bring it back.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;

    private PostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A fresh database for each caller, so tests sharing the cluster never see each other's rows.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..16];
        await RunAsync(Path.Combine(_bin, "createdb"), "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "app", name);
        return ConnectionString(name);
    }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=app;Database={database};Pooling=false;Timeout=5";

    /// <summary>The server binaries: POSTGRES_BIN, else Debian's newest postgresql package, else PATH.</summary>
    public static string? FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("POSTGRES_BIN") is { Length: > 0 } configured)
            return configured;
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(dir => Path.Combine(dir, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb"))).OrderByDescending(bin => bin, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return debian ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")));
    }

    public static async Task<PostgresServer> StartNewAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL's server binaries were not found: install the postgresql package (scripts/test.sh does) or set POSTGRES_BIN.");
        var directory = Directory.CreateTempSubdirectory("rr-pg-").FullName;
        if (IsRoot)
            await RunAsync("chown", "postgres:postgres", directory);
        var server = new PostgresServer(bin, directory, FreePort());
        await RunAsServerUserAsync(Path.Combine(bin, "initdb"), "-D", server.DataDirectory, "-A", "trust", "-U", "app", "--no-sync");
        await server.StartAsync();
        return server;
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    public Task StartAsync() => RunAsServerUserAsync(Path.Combine(_bin, "pg_ctl"), "-D", DataDirectory, "-l", Path.Combine(_directory, "log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start");

    public Task StopAsync() => RunAsServerUserAsync(Path.Combine(_bin, "pg_ctl"), "-D", DataDirectory, "-m", "fast", "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped by the test.
        }
        Directory.Delete(_directory, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunAsServerUserAsync(string program, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
