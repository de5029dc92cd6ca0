using Microsoft.Playwright;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Web.Access;
using static Microsoft.Playwright.Assertions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Browser;

/// <summary>The app as a self-hoster runs it: behind nginx, under a sub-path, with access control on.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SelfHostingTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_full_session_through_nginx_under_voice_never_shows_the_key_to_the_browser_or_the_logs()
    {
        var logs = new LogCapture();
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Access:Mode"] = "Open" },
            throughNginx: true, logs: logs, openPage: false);
        // Raised on Playwright's own thread: a late response must not break the enumeration below.
        var responses = new System.Collections.Concurrent.ConcurrentQueue<IResponse>();
        voice.Page.Response += (_, response) => responses.Enqueue(response);

        await voice.Page.GotoAsync(voice.AppUrl.ToString());
        Assert.Equal("/voice/", new Uri(voice.Page.Url).AbsolutePath);
        await voice.ConnectAsync();
        await voice.WaitForMicrophoneAtPeerAsync();
        await voice.SpeakAsync(true);
        await voice.WaitForAssistantAudioInPageAsync();
        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_a", type = "message", role = "assistant", content = Array.Empty<object>() } },
            new { type = "response.output_audio_transcript.done", item_id = "item_a", transcript = "Hello through the proxy." });
        await Expect(voice.TranscriptLines).ToHaveTextAsync(["AssistantHello through the proxy."]);
        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        await Await.UntilAsync(() => voice.OpenAI.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 1, "1 hang-up(s) at OpenAI", TimeSpan.FromMilliseconds(BrowserFixture.Patience));

        var received = new List<string>();
        foreach (var response in responses.ToArray())
            received.Add(await DescribeAsync(response));

        // Every URL the page used went through the proxy's /voice/ prefix.
        var pageRequests = received.Select(entry => new Uri(entry.Split(' ')[1])).Where(uri => uri.Authority == voice.AppUrl.Authority).ToList();
        Assert.Contains(pageRequests, uri => uri.AbsolutePath.StartsWith("/voice/js/", StringComparison.Ordinal));
        Assert.Contains(pageRequests, uri => uri.AbsolutePath == $"/voice/api/realtime/calls/{FakeOpenAI.CallId}");
        Assert.All(pageRequests, uri => Assert.StartsWith("/voice/", uri.AbsolutePath, StringComparison.Ordinal));

        // The key never reaches the browser (HTML, scripts, every body and header) or any log line.
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(received, entry => entry.Contains(FakeOpenAI.ApiKey, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains(FakeOpenAI.ApiKey, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("a=fingerprint", StringComparison.Ordinal));

        static async Task<string> DescribeAsync(IResponse response)
        {
            var body = response.Request.Method == "DELETE" || response.Status is 204 or (>= 300 and < 400) ? "" : await response.TextAsync();
            return $"{response.Status} {response.Url} {string.Join("; ", response.Headers.Select(h => $"{h.Key}: {h.Value}"))} {body}";
        }
    }

    [Fact]
    public async Task With_a_passcode_the_user_signs_in_first_and_then_talks()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Passcode",
            ["Access:Passcodes:team"] = PasscodeHasher.Hash("correct horse battery staple"),
        }, throughNginx: true);

        Assert.EndsWith("/voice/signin?ReturnUrl=%2Fvoice%2F", voice.Page.Url, StringComparison.Ordinal);
        // A plain form: the voice page's scripts load only with the voice page.
        Assert.Equal(0, await voice.Page.EvaluateAsync<int>("() => performance.getEntriesByType('resource').filter(e => e.name.includes('/js/')).length"));
        await voice.Page.GetByLabel("Passcode").FillAsync("wrong guess");
        await voice.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(voice.Page.GetByText("That passcode is not right.")).ToBeVisibleAsync();

        await voice.Page.GetByLabel("Passcode").FillAsync("correct horse battery staple");
        await voice.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(voice.Page.GetByText("Signed in as team")).ToBeVisibleAsync();
        Assert.Equal("/voice/", new Uri(voice.Page.Url).AbsolutePath);
        await voice.ConnectAsync();
        await voice.WaitForMicrophoneAtPeerAsync();
    }

    [Fact]
    public async Task Behind_an_auth_proxy_the_user_named_in_its_header_can_talk()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Access:Mode"] = "ProxyHeader", ["Access:ProxyHeader:TrustedProxies:0"] = "127.0.0.1" },
            headers: new Dictionary<string, string> { ["X-Forwarded-User"] = "alice@example.com" });

        await voice.ConnectAsync();

        await voice.WaitForMicrophoneAtPeerAsync();
    }

    [Fact]
    public async Task Behind_an_auth_proxy_a_request_without_its_header_gets_no_page()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Access:Mode"] = "ProxyHeader", ["Access:ProxyHeader:TrustedProxies:0"] = "127.0.0.1" }, openPage: false);

        var response = await voice.Page.GotoAsync(voice.AppUrl.ToString());

        Assert.Equal(401, response!.Status);
        await Expect(voice.ConnectButton).ToHaveCountAsync(0);
        Assert.DoesNotContain(voice.OpenAI.Arrivals(), arrival => arrival.Contains(" /v1/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rate_limited_user_is_told_when_to_try_again()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["Access:RateLimit:SessionsPerWindow"] = "1",
            ["Access:RateLimit:WindowSeconds"] = "120",
        });
        await voice.ConnectAsync();
        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Alert).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Try again in \d+ s"));
        await voice.ExpectTornDownAsync();
        Assert.Single(voice.OpenAI.Requests("/realtime/calls"));
    }

    [Fact]
    public async Task At_the_maximum_session_length_the_page_ends_the_session_and_the_call_is_hung_up()
    {
        // 15 s: long enough that the countdown is still showing when a busy machine gets round to looking.
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:MaxSessionMinutes"] = "0.25" });
        await voice.ConnectAsync();

        await Expect(voice.Page.GetByText(new System.Text.RegularExpressions.Regex(@"Time left 0:[01]\d"))).ToBeVisibleAsync();
        await Expect(voice.Alert).ToContainTextAsync("limit", new() { Timeout = BrowserFixture.Patience });

        await voice.ExpectTornDownAsync();
        await Await.UntilAsync(() => voice.OpenAI.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count >= 1, "at least 1 hang-up(s) at OpenAI", TimeSpan.FromMilliseconds(BrowserFixture.Patience));
    }
}
