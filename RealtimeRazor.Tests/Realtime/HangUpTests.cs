using System.Net;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

public sealed class HangUpTests : IDisposable
{
    private readonly TestApp app = new();

    public void Dispose() => app.Dispose();

    [Fact]
    public async Task Hanging_up_posts_to_OpenAIs_hangup_with_the_server_key()
    {
        using var response = await app.Client.DeleteAsync("/api/realtime/calls/rtc_abc");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var request = Assert.Single(await app.UpstreamRequestsAsync("/realtime/calls/rtc_abc/hangup")).RequestMessage!;
        Assert.Equal("POST", request.Method);
        Assert.Equal($"Bearer {FakeOpenAI.ApiKey}", request.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task The_Location_of_a_new_call_hangs_that_call_up()
    {
        using var created = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var response = await app.Client.DeleteAsync(created.Headers.Location);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await app.UpstreamRequestsAsync($"/realtime/calls/{FakeOpenAI.CallId}/hangup");
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
        Assert.Empty(app.Fake.AllRequests);
    }

    [Fact]
    public async Task The_longest_valid_id_is_accepted()
    {
        var id = "rtc_" + new string('a', 124);

        using var response = await app.Client.DeleteAsync($"/api/realtime/calls/{id}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await app.UpstreamRequestsAsync($"/realtime/calls/{id}/hangup");
    }

    [Fact]
    public async Task An_unknown_call_gets_404()
    {
        app.Fake.FailInstead("/realtime/calls/rtc_gone/hangup", 404, body: """{"error":{"message":"Call not found","code":"call_not_found"}}""");

        using var response = await app.Client.DeleteAsync("/api/realtime/calls/rtc_gone");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "call_not_found");
        await app.UpstreamRequestsAsync("/realtime/calls/rtc_gone/hangup");
    }

    [Fact]
    public async Task A_refused_key_on_hang_up_gets_502()
    {
        app.Fake.FailInstead("/realtime/calls/rtc_abc/hangup", 401);

        using var response = await app.Client.DeleteAsync("/api/realtime/calls/rtc_abc");

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_key_refused");
        await app.UpstreamRequestsAsync("/realtime/calls/rtc_abc/hangup");
    }
}
