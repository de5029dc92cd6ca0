using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Access;

namespace RealtimeRazor.Tests.Access;

/// <summary>
/// A sign-in lasts only as long as its passcode: the server restarted (same Data Protection keys) with a
/// passcode removed or changed no longer accepts the cookies issued for it.
/// </summary>
public sealed class PasscodeRevocationTests : IDisposable
{
    private readonly string keys = Directory.CreateTempSubdirectory("realtimerazor-keys-").FullName;

    public void Dispose() => Directory.Delete(keys, recursive: true);

    private TestApp Instance(Action<Dictionary<string, string?>>? change = null)
    {
        var settings = Passcodes.Settings(new() { ["DataProtection:KeysDirectory"] = keys });
        change?.Invoke(settings);
        return new TestApp(settings);
    }

    private async Task<string> AliceCookieAsync()
    {
        using var before = Instance();
        using var signIn = await Passcodes.SignInAsync(before.Client, Passcodes.AlicePasscode);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return Passcodes.AuthCookiePair(signIn);
    }

    private static async Task<(HttpResponseMessage Call, HttpResponseMessage Page)> UseCookieAsync(TestApp app, string cookie)
    {
        using var http = app.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var call = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        call.Headers.Add("Cookie", cookie);
        using var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Add("Cookie", cookie);
        return (await http.SendAsync(call), await http.SendAsync(page));
    }

    private static async Task AssertSignedOutAsync(TestApp app, HttpResponseMessage call, HttpResponseMessage page)
    {
        await Problem.AssertAsync(call, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin", page.Headers.Location!.IsAbsoluteUri ? page.Headers.Location.AbsolutePath : page.Headers.Location.OriginalString, StringComparison.Ordinal);
        // The browser is told to forget the cookie.
        Assert.Contains(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith("rr_auth=;", StringComparison.Ordinal));
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task The_same_configuration_keeps_the_sign_in()
    {
        var cookie = await AliceCookieAsync();
        using var after = Instance();

        var (call, page) = await UseCookieAsync(after, cookie);

        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        call.Dispose();
        page.Dispose();
    }

    [Fact]
    public async Task A_removed_passcode_signs_its_holder_out()
    {
        var cookie = await AliceCookieAsync();
        using var after = Instance(settings => settings.Remove($"Access:Passcodes:{Passcodes.Alice}"));

        var (call, page) = await UseCookieAsync(after, cookie);

        await AssertSignedOutAsync(after, call, page);
        call.Dispose();
        page.Dispose();
    }

    [Fact]
    public async Task A_changed_passcode_signs_the_old_passcodes_holders_out()
    {
        var cookie = await AliceCookieAsync();
        using var after = Instance(settings => settings[$"Access:Passcodes:{Passcodes.Alice}"] = PasscodeHasher.Hash("a new passcode for alice"));

        var (call, page) = await UseCookieAsync(after, cookie);

        await AssertSignedOutAsync(after, call, page);
        call.Dispose();
        page.Dispose();
    }
}
