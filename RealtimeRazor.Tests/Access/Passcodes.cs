using System.Net;
using System.Text.RegularExpressions;
using RealtimeRazor.Web.Access;

namespace RealtimeRazor.Tests.Access;

/// <summary>Passcode-mode settings and a browser-like sign-in: fetch the form, post it with its antiforgery token.</summary>
public static partial class Passcodes
{
    public const string Alice = "alice";
    public const string Bob = "bob";
    public const string AlicePasscode = "correct horse battery staple";
    public const string BobPasscode = "bravo tango 4711";

    // PBKDF2 at 210,000 iterations is slow on purpose: hash once per test run.
    private static readonly Lazy<string> AliceHash = new(() => PasscodeHasher.Hash(AlicePasscode));
    private static readonly Lazy<string> BobHash = new(() => PasscodeHasher.Hash(BobPasscode));

    /// <summary>Passcode mode with two named passcodes, plus <paramref name="extra"/>.</summary>
    public static Dictionary<string, string?> Settings(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Passcode",
            [$"Access:Passcodes:{Alice}"] = AliceHash.Value,
            [$"Access:Passcodes:{Bob}"] = BobHash.Value,
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return settings;
    }

    [GeneratedRegex("<input\\b[^>]*\\bname=\"__RequestVerificationToken\"[^>]*\\bvalue=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex AntiforgeryInput();

    /// <summary>The antiforgery token of the (first) form on a page; fails when there is none.</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = AntiforgeryInput().Match(html);
        Assert.True(match.Success, "the page has no antiforgery token field");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Shows the sign-in form, then posts <paramref name="passcode"/> with the form's token; returns the POST's answer.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string passcode, string? returnUrl = null)
    {
        using var form = await client.GetAsync("signin");
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var token = AntiforgeryToken(await form.Content.ReadAsStringAsync());
        var fields = new Dictionary<string, string> { ["Passcode"] = passcode, ["__RequestVerificationToken"] = token };
        if (returnUrl is not null)
            fields["ReturnUrl"] = returnUrl;
        return await client.PostAsync("signin", new FormUrlEncodedContent(fields));
    }

    /// <summary>Signs in and asserts it worked (a redirect with the auth cookie).</summary>
    public static async Task SignInOrFailAsync(HttpClient client, string passcode)
    {
        using var response = await SignInAsync(client, passcode);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.NotNull(AuthCookie(response));
    }

    /// <summary>The Set-Cookie header that sets the auth cookie (not one that deletes it), or null.</summary>
    public static string? AuthCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.FirstOrDefault(c => c.StartsWith("rr_auth=", StringComparison.Ordinal) && !c.StartsWith("rr_auth=;", StringComparison.Ordinal))
            : null;

    /// <summary>"rr_auth=value", ready for a Cookie header.</summary>
    public static string AuthCookiePair(HttpResponseMessage response) =>
        AuthCookie(response)?.Split(';')[0] ?? throw new InvalidOperationException("no auth cookie was set");
}
