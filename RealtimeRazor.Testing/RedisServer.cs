using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RealtimeRazor.Testing;

/// <summary>
/// A real redis-server (Debian's, or REDIS_SERVER_PATH) on a free loopback port, run as a child process
/// without persistence. It can be stopped and started again on the same port mid-test, as an outage
/// and recovery look to the app; it is killed on dispose.
/// </summary>
public sealed class RedisServer : IDisposable, IAsyncDisposable
{
    private Process? process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>The app's <c>Redis:Configuration</c> for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static string Executable => Environment.GetEnvironmentVariable("REDIS_SERVER_PATH") is { Length: > 0 } path ? path : "/usr/bin/redis-server";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on its port and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        if (process is { HasExited: false })
            throw new InvalidOperationException("The Redis server is already running.");
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"No redis-server at {Executable}: run scripts/test.sh (it installs Debian's redis-server) or set REDIS_SERVER_PATH.");
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" })
            start.ArgumentList.Add(argument);
        process = Process.Start(start) ?? throw new InvalidOperationException("redis-server could not be started");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Await.UntilAsync(PingsAsync, $"redis-server to answer PING on port {Port}", TimeSpan.FromSeconds(30));
    }

    /// <summary>Kills the server (as a crash or an outage would end it); its data is gone.</summary>
    public async Task StopAsync()
    {
        if (process is null || process.HasExited)
            return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    /// <summary>True when the server answers PING with PONG.</summary>
    public async Task<bool> PingsAsync() => await CommandAsync("PING") is { } reply && reply.StartsWith("+PONG", StringComparison.Ordinal);

    /// <summary>True when <paramref name="key"/> exists (no spaces or line breaks in it).</summary>
    public async Task<bool> ExistsAsync(string key) => await CommandAsync($"EXISTS {key}") is { } reply && reply.StartsWith(":1", StringComparison.Ordinal);

    /// <summary>One inline command's reply (its first read), or null when the server cannot be reached.</summary>
    private async Task<string?> CommandAsync(string command)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (SocketException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        process?.Dispose();
        process = null;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
