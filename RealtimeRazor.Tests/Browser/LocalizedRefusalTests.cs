using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RealtimeRazor.Tests.Access;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>Japanese and Chinese users read the server's refusals, and the sign-in page, in their language.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class LocalizedRefusalTests(BrowserFixture browser)
{
    private static readonly Dictionary<string, (string Idle, string Connect)> Words = new()
    {
        ["ja-JP"] = ("未接続", "接続"),
        ["zh-CN"] = ("未连接", "连接"),
    };

    public static TheoryData<string, string, string> Refusals => new()
    {
        // the browser's locale, what the server refuses, what the user reads
        { "ja-JP", "too_many_sessions", "1 人が同時に開けるセッションの上限（1）に達しています。" },
        { "zh-CN", "too_many_sessions", "你打开的会话已达到每人上限（1）。" },
        { "ja-JP", "rate_limited", "新しいセッションの開始が多すぎます。" },
        { "zh-CN", "rate_limited", "你新建的会话过多。" },
        { "ja-JP", "upstream_key_refused", "サイトの OpenAI API キーが拒否されました。" },
        { "zh-CN", "upstream_key_refused", "本站的 OpenAI API 密钥被拒绝。" },
        { "ja-JP", "upstream_rate_limited", "現在セッションが多すぎます。7 秒後にもう一度お試しください。" },
        { "zh-CN", "upstream_rate_limited", "当前会话过多。请在 7 秒后重试。" },
        { "ja-JP", "upstream_rejected", "OpenAI がセッションの要求を受け付けませんでした（scripted_failure）。" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_server_refusal_is_shown_in_the_users_language(string locale, string refusal, string message)
    {
        await using var voice = await StartAsync(locale, refusal);

        await Connect(voice, locale).ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync(message);
        await Expect(voice.Alert).Not.ToContainTextAsync(Latin());
        await ExpectResetAsync(voice, locale);
    }

    public static TheoryData<string, string, string> SocketRefusals => new()
    {
        // the browser's locale, what the server refuses the WebSocket's handshake for, what the user reads (as on WebRTC, above)
        { "ja-JP", "too_many_sessions", "1 人が同時に開けるセッションの上限（1）に達しています。" },
        { "zh-CN", "rate_limited", "你新建的会话过多。" },
    };

    [Theory]
    [MemberData(nameof(SocketRefusals))]
    public async Task A_refused_WebSocket_handshake_is_explained_in_the_users_language_as_on_WebRTC(string locale, string refusal, string message)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Realtime:Transports"] = "WebSocket",
            ["Access:MaxSessionsPerUser"] = "1",
            ["Access:RateLimit:SessionsPerWindow"] = refusal == "rate_limited" ? "1" : "10",
            ["Access:RateLimit:WindowSeconds"] = "120",
        }, userOptions: new() { Locale = locale });
        voice.OpenAI.RealtimeSocket.AnswerSpeech = false;
        // Another tab's WebSocket call, with the same cookies: it holds the user's one slot and used the window's one session.
        await voice.Page.EvaluateAsync("""
            () => new Promise((resolve, reject) => {
              const socket = new WebSocket(new URL('api/realtime/socket', location.href).href.replace(/^http/, 'ws'));
              window.__otherTab = socket;
              socket.addEventListener('message', resolve, { once: true });
              socket.addEventListener('close', () => reject(new Error("the other tab's socket was refused")));
            })
            """);

        await Connect(voice, locale).ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync(message);
        await Expect(voice.Alert).Not.ToContainTextAsync(Latin());
        await ExpectResetAsync(voice, locale);
        Assert.Single(voice.OpenAI.RealtimeSocket.Handshakes);
    }

    [Fact]
    public async Task The_page_writes_a_known_codes_text_itself_whatever_the_servers_detail_says()
    {
        await using var voice = await StartAsync("ja-JP", "upstream_rate_limited");
        await voice.Page.RouteAsync("**/api/realtime/calls*", async route =>
        {
            var response = await route.FetchAsync();
            var problem = JsonNode.Parse(await response.TextAsync())!;
            problem["detail"] = "Server wording in English.";
            await route.FulfillAsync(new() { Response = response, Body = problem.ToJsonString() });
        });

        await Connect(voice, "ja-JP").ClickAsync();

        await Expect(voice.Alert).ToHaveTextAsync("現在セッションが多すぎます。7 秒後にもう一度お試しください。");
    }

    [Fact]
    public async Task A_code_the_page_does_not_know_shows_the_servers_detail()
    {
        await using var voice = await StartAsync("ja-JP", "none");
        await voice.Page.RouteAsync("**/api/realtime/calls*", route => route.FulfillAsync(new()
        {
            Status = 409,
            ContentType = "application/problem+json",
            Body = """{"title":"Something new","status":409,"detail":"新しいサーバーからの説明。","code":"from_a_newer_server"}""",
        }));

        await Connect(voice, "ja-JP").ClickAsync();

        await Expect(voice.Alert).ToHaveTextAsync("新しいサーバーからの説明。");
        await ExpectResetAsync(voice, "ja-JP");
    }

    [Fact]
    public async Task The_sign_in_page_speaks_Japanese_and_switching_language_keeps_the_way_back_and_costs_no_attempt()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, Passcodes.Settings(new()
        {
            // One wrong guess and one right one fit; so would language switches only if they were not counted.
            ["Access:RateLimit:SignInAttemptsPerWindow"] = "2",
            ["Access:RateLimit:WindowSeconds"] = "120",
        }), userOptions: new() { Locale = "ja-JP" });
        var page = voice.Page;

        Assert.EndsWith("/signin?ReturnUrl=%2F", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ja");
        await Expect(page).ToHaveTitleAsync(new Regex("^サインイン"));
        await Expect(page.GetByText("このサイトは非公開です。受け取ったパスコードを入力してください。")).ToBeVisibleAsync();
        await page.GetByLabel("パスコード").FillAsync("wrong guess");
        await page.GetByRole(AriaRole.Button, new() { Name = "サインイン", Exact = true }).ClickAsync();
        await Expect(page.GetByText("パスコードが正しくありません。")).ToBeVisibleAsync();
        await Expect(page.GetByText("That passcode is not right.")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "简体中文" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "zh-Hans");
        await page.GetByRole(AriaRole.Button, new() { Name = "日本語" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ja");
        Assert.EndsWith("/signin?ReturnUrl=%2F", page.Url, StringComparison.Ordinal);

        await page.GetByLabel("パスコード").FillAsync(Passcodes.AlicePasscode);
        await page.GetByRole(AriaRole.Button, new() { Name = "サインイン", Exact = true }).ClickAsync();

        await Expect(page.GetByText($"{Passcodes.Alice} としてサインイン中")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "サインアウト" })).ToBeVisibleAsync();
        Assert.Equal("/", new Uri(page.Url).AbsolutePath);
    }

    /// <summary>The page in <paramref name="locale"/>, with the server set up to refuse its next Connect for <paramref name="refusal"/>.</summary>
    private async Task<VoiceHarness> StartAsync(string locale, string refusal)
    {
        var settings = new Dictionary<string, string?>();
        if (refusal is "too_many_sessions" or "rate_limited")
        {
            // A Direct-mode secret holds a session slot and counts against the rate limit, as another tab's Connect would.
            settings["Realtime:Negotiation"] = "Direct";
            settings["Access:MaxSessionsPerUser"] = "1";
            settings["Access:RateLimit:SessionsPerWindow"] = refusal == "rate_limited" ? "1" : "10";
            settings["Access:RateLimit:WindowSeconds"] = "120";
        }
        var voice = await VoiceHarness.StartAsync(browser.Browser, settings, userOptions: new() { Locale = locale });
        switch (refusal)
        {
            case "too_many_sessions" or "rate_limited":
                Assert.Equal(200, await voice.Page.EvaluateAsync<int>("() => fetch('api/realtime/client-secret', { method: 'POST' }).then(r => r.status)"));
                break;
            case "upstream_key_refused":
                voice.OpenAI.Fail("/realtime/calls", 401);
                break;
            case "upstream_rate_limited":
                voice.OpenAI.Fail("/realtime/calls", 429, headers: new Dictionary<string, string> { ["Retry-After"] = "7" });
                break;
            case "upstream_rejected":
                voice.OpenAI.Fail("/realtime/calls", 400);
                break;
        }
        return voice;
    }

    private static ILocator Connect(VoiceHarness voice, string locale) =>
        voice.Page.GetByRole(AriaRole.Button, new() { Name = Words[locale].Connect, Exact = true });

    private static async Task ExpectResetAsync(VoiceHarness voice, string locale)
    {
        await Expect(voice.Status).ToHaveTextAsync(Words[locale].Idle, new() { Timeout = 10_000 });
        await Expect(Connect(voice, locale)).ToBeEnabledAsync();
        Assert.Equal(0, await voice.LiveMicrophoneTracksAsync());
    }

    /// <summary>An English word: none belongs in these messages (codes and key names are not words).</summary>
    [GeneratedRegex(@"\b(the|Try|again|too|many|sessions|OpenAI's)\b")]
    private static partial Regex Latin();
}
