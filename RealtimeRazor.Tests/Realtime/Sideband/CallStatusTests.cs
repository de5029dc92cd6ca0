using System.Net;
using System.Text.Json;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime.Sideband;

/// <summary>The call's status (sideband, the server's count of its usage, budget) is its owner's alone.</summary>
public sealed class CallStatusTests
{
    [Fact]
    public async Task Only_the_calls_owner_may_read_its_status_and_it_carries_the_servers_count()
    {
        using var app = new TestApp(Passcodes.Settings());
        using var alice = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        using var bob = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);
        using var call = await alice.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        var status = call.Headers.Location!;

        using var mine = await alice.GetAsync(status);
        using var theirs = await bob.GetAsync(status);

        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal("no-store", mine.Headers.CacheControl?.ToString());
        using var body = JsonDocument.Parse(await mine.Content.ReadAsStringAsync());
        Assert.Equal(0, body.RootElement.GetProperty("usage").GetProperty("total").GetInt64());
        Assert.False(body.RootElement.GetProperty("budgetSpent").GetBoolean());
        await Problem.AssertAsync(theirs, HttpStatusCode.NotFound, "call_not_found");
    }
}
