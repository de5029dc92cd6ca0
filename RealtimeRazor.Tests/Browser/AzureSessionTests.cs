using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Realtime;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>A voice session with <c>OpenAI:Provider=Azure</c>, against a fake that serves Azure's paths.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AzureSessionTests(BrowserFixture browser)
{
    public static TheoryData<string> Modes => new() { "Relay", "Direct" };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_session_with_Azure_connects_and_the_page_names_provider_and_deployment(string mode)
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?>
        {
            ["OpenAI:Provider"] = "Azure",
            ["Realtime:Model"] = AzureUpstreamTests.Deployment,
            ["Realtime:Negotiation"] = mode,
        }, openAIPathBase: FakeOpenAI.AzurePathBase);

        await Expect(voice.Page.Locator("#upstream")).ToHaveTextAsync($"Served by Azure OpenAI, deployment {AzureUpstreamTests.Deployment}");
        await Expect(voice.Page.Locator("#session-cap")).ToContainTextAsync("Azure OpenAI ends every session after 30 minutes");

        await voice.ConnectAsync();
        await voice.WaitForMicrophoneAtPeerAsync();
        await voice.SpeakAsync(true);
        await voice.WaitForAssistantAudioInPageAsync();

        var offer = Assert.Single(voice.OpenAI.Requests("/realtime/calls")).RequestMessage!;
        Assert.Equal("/openai/v1/realtime/calls", offer.Path);
        Assert.DoesNotContain("api-version", offer.Query?.Keys ?? []);
        if (mode == "Relay")
        {
            // The server's own call, with the key in Azure's header.
            Assert.Equal(FakeOpenAI.ApiKey, Assert.Single(offer.Headers!["api-key"]));
            Assert.False(offer.Headers.ContainsKey("Authorization"));
        }
        else
        {
            // The browser's call: the ephemeral secret as bearer, Azure's event filter on.
            Assert.Equal($"Bearer {FakeOpenAI.EphemeralKey}", Assert.Single(offer.Headers!["Authorization"]));
            Assert.Equal("on", Assert.Single(offer.Query!["webrtcfilter"]));
            var secret = Assert.Single(voice.OpenAI.Requests("/realtime/client_secrets")).RequestMessage!;
            Assert.Equal(FakeOpenAI.ApiKey, Assert.Single(secret.Headers!["api-key"]));
        }
        // The server joins the call at Azure too: its sideband, with the key in Azure's header.
        await Await.UntilAsync(() => voice.OpenAI.Sideband.OpenSockets == 1, "the server's sideband at Azure", TimeSpan.FromSeconds(30));
        var sideband = voice.OpenAI.Sideband.Handshakes[^1];
        Assert.Equal(("/openai/v1/realtime", FakeOpenAI.CallId, $"api-key {FakeOpenAI.ApiKey}"), (sideband.Path, sideband.CallId, sideband.Authorization));

        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        await Await.UntilAsync(() => voice.OpenAI.Requests($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 1, "the hang-up at Azure");
    }
}
