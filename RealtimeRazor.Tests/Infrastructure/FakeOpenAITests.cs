using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Infrastructure;

/// <summary>The fake's own contract: "OpenAI was not called" can be asserted at any moment.</summary>
public sealed class FakeOpenAITests : IDisposable
{
    private readonly TestApp app = new();

    public void Dispose() => app.Dispose();

    [Fact]
    public async Task A_call_still_being_answered_counts_as_a_call()
    {
        app.Fake.Fail("/realtime/calls", 503, delay: TimeSpan.FromSeconds(3));

        var relay = app.PostOfferAsync();
        await Await.UntilAsync(() => app.Fake.Arrivals("/realtime/calls").Count == 1, "the offer at OpenAI's door");

        // WireMock's log has not seen it yet: an assertion on the log would have passed here.
        Assert.Empty(app.Fake.Requests("/realtime/calls"));
        Assert.Equal(["POST /v1/realtime/calls"], app.Fake.Arrivals("/realtime/calls"));
        Assert.NotEmpty(app.Fake.Arrivals());
        (await relay).Dispose();
    }
}

/// <summary>The delay and service times the benchmark relies on: every answer waits, preflights included, and is reported.</summary>
public sealed class FakeOpenAIDelayTests : IDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(400);

    // Task.Delay's timer may fire a tick before the stopwatch reads the full delay.
    private static readonly TimeSpan AtLeastTheDelay = Delay - TimeSpan.FromMilliseconds(20);
    private readonly FakeOpenAI fake = new(delay: Delay, logRequests: false);
    private readonly HttpClient http = new();

    public void Dispose()
    {
        http.Dispose();
        fake.Dispose();
    }

    [Fact]
    public async Task Every_answer_waits_the_delay_and_reports_its_service_time()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, fake.BaseUrl + "/realtime/calls");
        preflight.Headers.Add("Origin", "http://127.0.0.1:5000");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var preflightResponse = await http.SendAsync(preflight);
        var preflightTook = clock.Elapsed;
        clock.Restart();
        using var call = await http.PostAsync(fake.BaseUrl + "/realtime/calls", new StringContent("v=0\r\n", System.Text.Encoding.UTF8, "application/sdp"));
        var callTook = clock.Elapsed;

        Assert.True(preflightResponse.IsSuccessStatusCode, $"preflight answered {preflightResponse.StatusCode}");
        Assert.Equal("*", preflightResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(System.Net.HttpStatusCode.Created, call.StatusCode);
        Assert.Equal("*", call.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("Location", call.Headers.GetValues("Access-Control-Expose-Headers").Single());
        Assert.InRange(preflightTook, AtLeastTheDelay, TimeSpan.FromSeconds(30));
        Assert.InRange(callTook, AtLeastTheDelay, TimeSpan.FromSeconds(30));
        var served = fake.TakeServed();
        Assert.Equal(["OPTIONS /v1/realtime/calls", "POST /v1/realtime/calls"], served.Select(s => $"{s.Method} {s.Path}"));
        Assert.All(served, s => Assert.InRange(s.ServiceTime, AtLeastTheDelay, TimeSpan.FromSeconds(30)));
        Assert.Empty(fake.TakeServed());
        // A load run keeps no log.
        Assert.Empty(fake.Arrivals());
        Assert.Empty(fake.AllRequests);
    }
}
