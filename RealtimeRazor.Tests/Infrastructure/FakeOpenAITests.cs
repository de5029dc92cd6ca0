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
