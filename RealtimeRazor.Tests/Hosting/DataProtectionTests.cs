using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>With a shared keys directory, a sign-in on one instance is good on another (and after a restart).</summary>
public sealed class DataProtectionTests : IDisposable
{
    private readonly string keys = Directory.CreateTempSubdirectory("realtimerazor-keys-").FullName;
    private readonly string otherKeys = Directory.CreateTempSubdirectory("realtimerazor-keys-").FullName;

    public void Dispose()
    {
        Directory.Delete(keys, recursive: true);
        Directory.Delete(otherKeys, recursive: true);
    }

    private static TestApp Instance(string keysDirectory) => new(Passcodes.Settings(new() { ["DataProtection:KeysDirectory"] = keysDirectory }));

    private static async Task<HttpResponseMessage> PostOfferWithCookieAsync(TestApp app, string cookie)
    {
        using var http = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        request.Headers.Add("Cookie", cookie);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_cookie_from_one_instance_is_accepted_by_another_sharing_the_keys_directory()
    {
        string cookie;
        using (var a = Instance(keys))
        {
            using var signIn = await Passcodes.SignInAsync(a.Client, Passcodes.AlicePasscode);
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            cookie = Passcodes.AuthCookiePair(signIn);
        }
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));

        using var b = Instance(keys);
        using var call = await PostOfferWithCookieAsync(b, cookie);

        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        await b.UpstreamRequestsAsync("/realtime/calls");
    }

    [Fact]
    public async Task An_instance_with_other_keys_refuses_the_cookie()
    {
        using var a = Instance(keys);
        using var signIn = await Passcodes.SignInAsync(a.Client, Passcodes.AlicePasscode);
        var cookie = Passcodes.AuthCookiePair(signIn);

        using var stranger = Instance(otherKeys);
        using var call = await PostOfferWithCookieAsync(stranger, cookie);

        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Empty(stranger.Fake.Arrivals());
    }
}
