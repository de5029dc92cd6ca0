using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RealtimeRazor.Bench;

/// <summary>
/// The seed article's server, for the baseline: serves the baseline page and <c>GET /session</c>,
/// which mints an ephemeral key from (fake) OpenAI with the server key, as the seed's Nuxt route does.
/// </summary>
public sealed class SeedSite : IAsyncDisposable
{
    private readonly HttpClient _openAI;
    private readonly WebApplication _site;

    public SeedSite(FakeOpenAI openAI)
    {
        _openAI = new HttpClient { BaseAddress = new Uri(openAI.BaseUrl + "/") };
        _openAI.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FakeOpenAI.ApiKey);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _site = builder.Build();

        var pages = Path.Combine(Repository.Root, "bench", "RealtimeRazor.Bench", "SeedBaseline");
        Serve("/", Path.Combine(pages, "index.html"), "text/html");
        Serve("/seed-baseline.js", Path.Combine(pages, "out", "seed-baseline.js"), "text/javascript");
        _site.MapGet("/session", async () =>
        {
            using var content = new StringContent("""{"session":{"type":"realtime","model":"gpt-realtime"}}""", System.Text.Encoding.UTF8, "application/json");
            using var minted = await _openAI.PostAsync("realtime/client_secrets", content);
            return Results.Content(await minted.Content.ReadAsStringAsync(), "application/json", statusCode: (int)minted.StatusCode);
        });
        _site.Start();
        Url = _site.Urls.Single();
    }

    /// <summary>Where it listens: its own origin, so the page's SDP post to OpenAI is cross-origin as in the seed.</summary>
    public string Url { get; }

    public string PageUrl(FakeOpenAI openAI) => $"{Url}/?openai={Uri.EscapeDataString(openAI.BaseUrl)}";

    private void Serve(string path, string file, string contentType)
    {
        if (!File.Exists(file))
            throw new FileNotFoundException("Build the benchmark first (dotnet build compiles its TypeScript).", file);
        var body = File.ReadAllText(file);
        _site.MapGet(path, () => Results.Content(body, contentType));
    }

    public async ValueTask DisposeAsync()
    {
        await _site.DisposeAsync();
        _openAI.Dispose();
    }
}
