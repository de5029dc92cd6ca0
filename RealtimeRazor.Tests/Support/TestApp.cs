using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Support;

/// <summary>One fake OpenAI and one app in front of it (in-memory test server), disposed together.</summary>
public sealed class TestApp : IDisposable
{
    public TestApp(IDictionary<string, string?>? settings = null, string environment = "Development")
    {
        Fake = new FakeOpenAI();
        Factory = new AppFactory(Fake, settings, environment);
        Client = Factory.CreateClient(new() { AllowAutoRedirect = false });
    }

    public FakeOpenAI Fake { get; }

    public AppFactory Factory { get; }

    public HttpClient Client { get; }

    public RealtimeOptions Realtime => Factory.Services.GetRequiredService<IOptions<RealtimeOptions>>().Value;

    public static HttpContent Sdp(string body, string contentType = "application/sdp")
    {
        var content = new StringContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public Task<HttpResponseMessage> PostOfferAsync(string offer = TestData.Offer) =>
        Client.PostAsync("/api/realtime/calls", Sdp(offer));

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Fake.Dispose();
    }
}
