using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Support;

/// <summary>One fake OpenAI and one app in front of it (in-memory test server), disposed together.</summary>
public sealed class TestApp : IDisposable
{
    public TestApp(IDictionary<string, string?>? settings = null, string environment = "Development", Action<IServiceCollection>? services = null)
    {
        Fake = new FakeOpenAI();
        Factory = new AppFactory(Fake, settings, environment, services: services);
        client = new Lazy<HttpClient>(() => Factory.CreateClient(new() { AllowAutoRedirect = false }));
    }

    private readonly Lazy<HttpClient> client;

    public FakeOpenAI Fake { get; }

    public AppFactory Factory { get; }

    /// <summary>An in-memory client; created on first use, so a test can start Kestrel instead.</summary>
    public HttpClient Client => client.Value;

    public RealtimeOptions Realtime => Factory.Services.GetRequiredService<IOptions<RealtimeOptions>>().Value;

    public static HttpContent Sdp(string body, string contentType = "application/sdp")
    {
        var content = new StringContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public Task<HttpResponseMessage> PostOfferAsync(string offer = TestData.Offer) =>
        Client.PostAsync("/api/realtime/calls", Sdp(offer));

    /// <summary>
    /// The fake logs a request as it answers it, which can be just after the app has already answered
    /// the test: waits until <paramref name="count"/> requests to <paramref name="path"/> are logged,
    /// and asserts there are exactly that many.
    /// </summary>
    public async Task<IReadOnlyList<WireMock.Logging.ILogEntry>> UpstreamRequestsAsync(string path, int count = 1)
    {
        await Await.UntilAsync(() => Fake.Requests(path).Count >= count, $"{count} upstream request(s) to {path}");
        var requests = Fake.Requests(path);
        var arrived = Fake.Arrivals(path).Count;
        Assert.True(arrived == count, $"Expected {count} upstream request(s) to {path}, got {arrived}");
        return requests;
    }

    public void Dispose()
    {
        if (client.IsValueCreated)
            client.Value.Dispose();
        Factory.Dispose();
        Fake.Dispose();
    }
}
