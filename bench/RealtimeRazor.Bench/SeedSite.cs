using System.Net.Http.Headers;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;



namespace RealtimeRazor.Bench;

/// <summary>
/// The seed article's server, for the baseline: serves the baseline page and <c>GET /session</c>,
/// which mints an ephemeral key from (fake) OpenAI with the server key, as the seed's Nuxt route does.
/// </summary>
public sealed class SeedSite : IDisposable
{
    private readonly HttpClient _openAI;

    public SeedSite(FakeOpenAI openAI)
    {
        _openAI = new HttpClient { BaseAddress = new Uri(openAI.BaseUrl + "/") };
        _openAI.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FakeOpenAI.ApiKey);
        Server = WireMockServer.Start(new WireMockServerSettings { MaxRequestLogCount = 0, StartAdminInterface = false });

        var pages = Path.Combine(Repository.Root, "bench", "RealtimeRazor.Bench", "SeedBaseline");
        Serve("/", Path.Combine(pages, "index.html"), "text/html");
        Serve("/seed-baseline.js", Path.Combine(pages, "out", "seed-baseline.js"), "text/javascript");
        Server.Given(Request.Create().WithPath("/session").UsingGet())
            .RespondWith(Response.Create().WithCallback(async _ =>
            {
                using var content = new StringContent("""{"session":{"type":"realtime","model":"gpt-realtime"}}""", System.Text.Encoding.UTF8, "application/json");
                using var minted = await _openAI.PostAsync("realtime/client_secrets", content);
                return new ResponseMessage
                {
                    StatusCode = (int)minted.StatusCode,
                    Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                    BodyData = new BodyData { DetectedBodyType = BodyType.String, BodyAsString = await minted.Content.ReadAsStringAsync() },
                };
            }));
    }

    public WireMockServer Server { get; }

    public string PageUrl(FakeOpenAI openAI) => $"{Server.Url}/?openai={Uri.EscapeDataString(openAI.BaseUrl)}";

    private void Serve(string path, string file, string contentType)
    {
        if (!File.Exists(file))
            throw new FileNotFoundException("Build the benchmark first (dotnet build compiles its TypeScript).", file);
        Server.Given(Request.Create().WithPath(path).UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", contentType).WithBody(File.ReadAllText(file)));
    }

    public void Dispose()
    {
        Server.Stop();
        _openAI.Dispose();
    }
}
