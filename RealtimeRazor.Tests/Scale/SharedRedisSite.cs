using System.Net.Http.Headers;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// Instances of the real app as processes of their own, sharing one real redis-server and one fake OpenAI, as
/// machines behind a load balancer: each has its own HOME (the framework's default key ring lives there), so
/// nothing is shared but Redis. Disposing stops every instance, then Redis, whatever happened to them.
/// </summary>
public sealed class SharedRedisSite : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly List<string> _homes = [];

    private SharedRedisSite(RedisServer redis) => Redis = redis;

    public FakeOpenAI Fake { get; } = new() { UniqueCallIds = true };

    public RedisServer Redis { get; }

    /// <summary>The instances still running; a test that kills one takes it out.</summary>
    public List<AppProcess> Apps { get; } = [];

    public static async Task<SharedRedisSite> StartAsync() => new(await RedisServer.StartAsync());

    /// <summary>Two instances with the same settings; records are off unless <paramref name="extra"/> turns them on (several instances share them only on PostgreSQL).</summary>
    public async Task<(Uri A, Uri B)> StartTwoAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var started = new[] { Start(extra), Start(extra) };
        var addresses = await Task.WhenAll(started.Select(app => app.AddressAsync(StartTimeout)));
        return (addresses[0], addresses[1]);
    }

    private AppProcess Start(IReadOnlyDictionary<string, string>? extra)
    {
        var home = Directory.CreateTempSubdirectory("realtimerazor-home-").FullName;
        _homes.Add(home);
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["HOME"] = home,
            ["OpenAI__ApiKey"] = FakeOpenAI.ApiKey,
            ["OpenAI__BaseUrl"] = Fake.BaseUrl,
            ["Redis__Configuration"] = Redis.Configuration,
            ["Records__Enabled"] = "false",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        var app = AppProcess.Start(BuildOutput.WebDll, settings, workingDirectory: Path.Combine(Repository.Root, "RealtimeRazor.Web"));
        Apps.Add(app);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var app in Apps)
                await app.DisposeAsync();
        }
        finally
        {
            // Whatever happened to the apps, no redis-server outlives the test.
            await Redis.DisposeAsync();
            Fake.Dispose();
            foreach (var home in _homes)
                Directory.Delete(home, recursive: true);
        }
    }
}

/// <summary>A browser-like client of one instance: same-origin headers, no cookie jar of its own.</summary>
public sealed class Instance(Uri address) : IDisposable
{
    public HttpClient Http { get; } = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

    public Uri Address => address;

    /// <param name="forwardedFor">Another client address, which an instance trusting loopback proxies takes as another user.</param>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? cookie = null, string? language = null, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
            request.Content = TestApp.Sdp(TestData.Offer);
        request.Headers.Add("Origin", address.GetLeftPart(UriPartial.Authority));
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        if (cookie is not null)
            request.Headers.Add("Cookie", cookie);
        if (language is not null)
            request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue(language));
        if (forwardedFor is not null)
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> StartCallAsync(string? cookie = null, string? language = null) => SendAsync(HttpMethod.Post, "/api/realtime/calls", cookie, language);

    public void Dispose() => Http.Dispose();
}
