using System.Net;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

public sealed class HangUpTests : IDisposable
{
    private readonly TestApp app = new();

    public void Dispose() => app.Dispose();

    [Fact]
    public async Task The_Location_of_a_new_call_hangs_that_call_up_with_the_server_key()
    {
        using var created = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var response = await app.Client.DeleteAsync(created.Headers.Location);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var request = Assert.Single(await app.UpstreamRequestsAsync($"/realtime/calls/{FakeOpenAI.CallId}/hangup")).RequestMessage!;
        Assert.Equal("POST", request.Method);
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task A_call_can_be_hung_up_only_once()
    {
        using var created = await app.PostOfferAsync();
        using var first = await app.Client.DeleteAsync(created.Headers.Location);

        using var second = await app.Client.DeleteAsync(created.Headers.Location);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        await Problem.AssertAsync(second, HttpStatusCode.NotFound, "call_not_found");
        await app.UpstreamRequestsAsync($"/realtime/calls/{FakeOpenAI.CallId}/hangup", count: 1);
    }

    [Fact]
    public async Task A_call_this_server_did_not_start_gets_404_without_calling_OpenAI()
    {
        using var response = await app.Client.DeleteAsync("/api/realtime/calls/rtc_someone_elses");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "call_not_found");
        Assert.Empty(app.Fake.Arrivals());
    }

    public static TheoryData<string> InvalidIds => new()
    {
        "..%2F..%2Fclient_secrets",
        "..%2Fsecrets",
        "rtc.abc",
        "rtc%20abc",
        "rtc_abc%3Fx%3D1",
        "rtc_" + new string('a', 125),
    };

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public async Task An_invalid_id_gets_400_without_calling_OpenAI(string id)
    {
        using var response = await app.Client.DeleteAsync($"/api/realtime/calls/{id}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "invalid_call_id");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task A_call_OpenAI_no_longer_knows_gets_404()
    {
        using var created = await app.PostOfferAsync();
        app.Fake.Fail($"/realtime/calls/{FakeOpenAI.CallId}/hangup", 404, body: """{"error":{"message":"Call not found","code":"call_not_found"}}""");

        using var response = await app.Client.DeleteAsync(created.Headers.Location);

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "call_not_found");
        await app.UpstreamRequestsAsync($"/realtime/calls/{FakeOpenAI.CallId}/hangup");
    }

    [Fact]
    public async Task A_refused_key_on_hang_up_gets_502()
    {
        using var created = await app.PostOfferAsync();
        app.Fake.Fail($"/realtime/calls/{FakeOpenAI.CallId}/hangup", 401);

        using var response = await app.Client.DeleteAsync(created.Headers.Location);

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_key_refused");
        await app.UpstreamRequestsAsync($"/realtime/calls/{FakeOpenAI.CallId}/hangup");
    }
}
