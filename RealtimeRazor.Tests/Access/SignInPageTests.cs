using System.Net;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Access;

/// <summary>The sign-in page in the visitor's language, its validation messages included.</summary>
public sealed class SignInPageTests : IDisposable
{
    private readonly TestApp app = new(Passcodes.Settings());

    public void Dispose() => app.Dispose();

    [Theory]
    [InlineData("ja-JP", "ja", "<title>サインイン", "このサイトは非公開です。", ">パスコード</label>", ">サインイン</button>")]
    [InlineData("zh-CN", "zh-Hans", "<title>登录", "这是一个私人网站。", ">通行码</label>", ">登录</button>")]
    [InlineData("en-US", "en", "<title>Sign in", "This site is private.", ">Passcode</label>", ">Sign in</button>")]
    public async Task The_form_is_in_the_browsers_language(string acceptLanguage, string lang, params string[] texts)
    {
        app.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(acceptLanguage);

        // Razor writes non-ASCII text as character references: compare what a browser shows.
        var html = WebUtility.HtmlDecode(await app.Client.GetStringAsync("/signin"));

        Assert.Contains($"<html lang=\"{lang}\">", html, StringComparison.Ordinal);
        Assert.All(texts, text => Assert.Contains(text, html, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "パスコードを入力してください。")]
    [InlineData("not the passcode", "パスコードが正しくありません。")]
    public async Task Validation_messages_are_in_Japanese_for_a_Japanese_browser(string passcode, string message)
    {
        app.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("ja");

        using var response = await Passcodes.SignInAsync(app.Client, passcode);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains(message, html, StringComparison.Ordinal);
        Assert.DoesNotContain("Enter the passcode.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("That passcode is not right.", html, StringComparison.Ordinal);
        Assert.Null(Passcodes.AuthCookie(response));
    }

    [Fact]
    public async Task A_passcode_longer_than_any_is_wrong_without_being_hashed()
    {
        using var response = await Passcodes.SignInAsync(app.Client, new string('x', 257));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("That passcode is not right.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(Passcodes.AuthCookie(response));
    }
}
