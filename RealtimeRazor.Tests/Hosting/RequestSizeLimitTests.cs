using System.Net;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>Over a real socket, every endpoint that takes a body refuses one over 64 KiB with 413, before OpenAI is called.</summary>
public sealed class RequestSizeLimitTests
{
    private const int Limit = 64 * 1024;

    private static string OversizedOffer() => TestData.Offer + "a=x-padding:" + new string('p', Limit + 1 - TestData.Offer.Length - 14) + "\r\n";

    [Fact]
    public async Task An_offer_one_byte_over_64_KiB_gets_413()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });
        using var http = new HttpClient { BaseAddress = app.Factory.StartKestrel() };
        var offer = OversizedOffer();
        Assert.Equal(Limit + 1, System.Text.Encoding.UTF8.GetByteCount(offer));

        using var response = await http.PostAsync("api/realtime/calls", TestApp.Sdp(offer));

        await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "offer_too_large");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task A_client_secret_request_with_a_body_over_64_KiB_gets_413()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:Negotiation"] = "Direct" });
        using var http = new HttpClient { BaseAddress = app.Factory.StartKestrel() };

        using var response = await http.PostAsync("api/realtime/client-secret", new ByteArrayContent(new byte[Limit + 1]));

        await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task A_sign_in_form_with_a_huge_field_gets_413()
    {
        using var app = new TestApp(Passcodes.Settings());
        var address = app.Factory.StartKestrel();
        using var http = new HttpClient(new HttpClientHandler { UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = address };
        var token = Passcodes.AntiforgeryToken(await http.GetStringAsync("signin"));

        using var response = await http.PostAsync("signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["Passcode"] = new string('x', 2 * Limit),
        }));

        await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        Assert.Null(Passcodes.AuthCookie(response));
        Assert.Empty(app.Fake.Arrivals());
    }
}
