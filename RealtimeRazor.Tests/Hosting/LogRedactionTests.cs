using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>
/// Whatever the app logs (through its Serilog pipeline, which reads sinks from the container) never holds
/// the API key, an ephemeral key or SDP, on success or failure.
/// </summary>
public sealed class LogRedactionTests : IDisposable
{
    private readonly FakeOpenAI fake = new();
    private readonly List<IDisposable> disposables = [];

    public void Dispose()
    {
        foreach (var disposable in Enumerable.Reverse(disposables))
            disposable.Dispose();
        fake.Dispose();
    }

    /// <summary>Every event rendered as compact JSON: template, rendered message, properties and exception.</summary>
    private sealed class CapturingSink : ILogEventSink
    {
        private readonly CompactJsonFormatter formatter = new();

        public ConcurrentQueue<string> Lines { get; } = new();

        public void Emit(LogEvent logEvent)
        {
            using var writer = new StringWriter();
            formatter.Format(logEvent, writer);
            Lines.Enqueue(logEvent.RenderMessage() + " " + writer);
        }
    }

    private (HttpClient Client, CapturingSink Sink) Start(Dictionary<string, string?>? settings = null)
    {
        var sink = new CapturingSink();
        var factory = new AppFactory(fake, settings);
        var configured = factory.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddSingleton<ILogEventSink>(sink)));
        var client = configured.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        disposables.AddRange([factory, configured, client]);
        return (client, sink);
    }

    private static async Task<IReadOnlyList<string>> LinesOnceLoggedAsync(CapturingSink sink, params string[] expected)
    {
        foreach (var text in expected)
            await Await.UntilAsync(() => sink.Lines.Any(line => line.Contains(text, StringComparison.Ordinal)), $"a log line containing '{text}'");
        return sink.Lines.ToList();
    }

    private static void AssertNoSecrets(IReadOnlyList<string> lines)
    {
        Assert.NotEmpty(lines);
        string[] secrets = [FakeOpenAI.ApiKey, FakeOpenAI.EphemeralKey, "UPSTREAM-MESSAGE-MARKER", "a=rtpmap", "v=0", .. TestData.OfferMarkers];
        foreach (var line in lines)
            foreach (var secret in secrets)
                Assert.False(line.Contains(secret, StringComparison.Ordinal), $"log line contains '{secret}': {line}");
    }

    private const string ErrorBody = $$$"""{"error":{"message":"Incorrect API key provided: {{{FakeOpenAI.ApiKey}}}. UPSTREAM-MESSAGE-MARKER","code":"invalid_api_key"}}""";

    private static StringContent Offer()
    {
        var content = new StringContent(TestData.Offer);
        content.Headers.ContentType = new("application/sdp");
        return content;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_relay_call_and_its_hang_up_log_no_key_and_no_SDP(bool verbose)
    {
        var (client, sink) = Start(verbose
            ? new()
            {
                ["Serilog:MinimumLevel:Default"] = "Verbose",
                ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
                ["Serilog:MinimumLevel:Override:System.Net.Http.HttpClient"] = "Verbose",
            }
            : null);

        using var created = await client.PostAsync("/api/realtime/calls", Offer());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var hungUp = await client.DeleteAsync(created.Headers.Location);
        Assert.Equal(HttpStatusCode.NoContent, hungUp.StatusCode);

        AssertNoSecrets(await LinesOnceLoggedAsync(sink,
            $"OpenAI accepted call \"{FakeOpenAI.CallId}\"",
            "HTTP \"POST\" \"/api/realtime/calls\" responded 201",
            $"Hung up call \"{FakeOpenAI.CallId}\""));
        if (verbose)
        {
            // Proves the verbose run really includes the framework's own logs. At this level the HTTP
            // client factory's loggers would attach the Authorization header as a property.
            await LinesOnceLoggedAsync(sink, "Request starting", "Request finished");
        }
    }

    [Theory]
    [InlineData(401, "OpenAI answered 401")]
    [InlineData(500, "OpenAI answered 500")]
    [InlineData(201, "body that is not SDP")]
    public async Task A_failing_call_logs_no_key_and_no_SDP(int status, string expected)
    {
        fake.Fail("/realtime/calls", status, body: ErrorBody);
        var (client, sink) = Start();

        using var response = await client.PostAsync("/api/realtime/calls", Offer());
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);

        AssertNoSecrets(await LinesOnceLoggedAsync(sink, expected, "HTTP \"POST\" \"/api/realtime/calls\" responded 502"));
    }

    [Fact]
    public async Task A_timed_out_call_logs_no_key_and_no_SDP()
    {
        fake.Fail("/realtime/calls", 201, "application/sdp", FakeOpenAI.StaticAnswer, delay: TimeSpan.FromSeconds(3));
        var (client, sink) = Start(new() { ["OpenAI:TimeoutSeconds"] = "1" });

        using var response = await client.PostAsync("/api/realtime/calls", Offer());
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);

        AssertNoSecrets(await LinesOnceLoggedAsync(sink, "did not answer", "responded 504"));
    }

    [Fact]
    public async Task A_refused_offer_logs_no_SDP()
    {
        var (client, sink) = Start();
        var content = new StringContent(TestData.Offer.Replace("m=audio", "m=video", StringComparison.Ordinal));
        content.Headers.ContentType = new("application/sdp");

        using var response = await client.PostAsync("/api/realtime/calls", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        AssertNoSecrets(await LinesOnceLoggedAsync(sink, "responded 400"));
    }

    [Fact]
    public async Task Minting_a_secret_logs_neither_key()
    {
        var (client, sink) = Start(new() { ["Realtime:Negotiation"] = "Direct" });

        using var response = await client.PostAsync("/api/realtime/client-secret", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(FakeOpenAI.EphemeralKey, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        AssertNoSecrets(await LinesOnceLoggedAsync(sink, "HTTP \"POST\" \"/api/realtime/client-secret\" responded 200"));
    }
}
