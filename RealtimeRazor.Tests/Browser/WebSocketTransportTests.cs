using System.ComponentModel;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeRazor.Web.Realtime.Calls;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>
/// The WebSocket transport in real Chromium with the fake microphone, against the fake's Realtime WebSocket
/// interface: the user's speech reaches OpenAI as PCM16, the reply is heard in the page, Interrupt truncates
/// the reply at what was played, Disconnect leaves nothing behind; and a WebRTC call that cannot connect
/// falls back to it by itself.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class WebSocketTransportTests(BrowserFixture browser)
{
    private const string FallbackStatus = "Connected (WebSocket fallback)";

    private static ILocator Button(VoiceHarness voice, string name) => voice.Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [Fact]
    public async Task A_WebSocket_call_carries_speech_and_reply_interrupt_truncates_at_what_was_heard_and_disconnect_releases_everything()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Transports"] = "WebSocket" });
        var upstream = voice.OpenAI.RealtimeSocket;
        upstream.AnswerSpeech = false;
        upstream.ReplySeconds = 8;

        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync(FallbackStatus);

        // The fake microphone's speech arrives at OpenAI as PCM16 24 kHz appends.
        await Await.UntilAsync(() => upstream.Audio.SpeechMs >= 300, "the user's speech at OpenAI", TimeSpan.FromSeconds(30));
        // At 24 kHz whatever the device's rate (the page converts): a second of talking is a second of audio. A
        // conversion at the wrong rate is off by the device's rate over 24 kHz (Chromium's 48 or 44.1 kHz: ×2, ×1.84,
        // or their inverses); the bounds leave room for a busy machine, where chunks stall and then catch up.
        var (audioBefore, clock) = (upstream.Audio.ReceivedMs, System.Diagnostics.Stopwatch.StartNew());
        await Task.Delay(5000);
        var ratio = (upstream.Audio.ReceivedMs - audioBefore) / clock.Elapsed.TotalMilliseconds;
        Assert.InRange(ratio, 0.6, 1.6);
        Assert.Empty(voice.OpenAI.Arrivals("/realtime/calls"));

        await upstream.ReplyAsync();
        await Expect(voice.TranscriptLines.Nth(0)).ToContainTextAsync(FakeRealtimeSocket.UserTranscript);
        await Expect(voice.TranscriptLines.Nth(1)).ToContainTextAsync(FakeRealtimeSocket.ReplyTranscript);
        await voice.WaitForAssistantAudioInPageAsync();

        var interrupt = Button(voice, "Interrupt");
        await Expect(interrupt).ToBeEnabledAsync();
        await interrupt.ClickAsync();
        await Await.UntilAsync(() => upstream.Truncations.Count == 1, "the truncation at OpenAI");

        var truncation = upstream.Truncations.Single();
        Assert.Equal("item_reply1", (string?)truncation["item_id"]);
        var heardMs = (int)truncation["audio_end_ms"]!;
        Assert.InRange(heardMs, 1, 7_999);
        Assert.Single(upstream.ReceivedOfType("response.cancel"));
        await Expect(voice.TranscriptLines.Nth(1)).ToContainTextAsync("(interrupted)");
        await voice.Page.WaitForFunctionAsync("() => window.__test.assistantLevel() < 0.01", null, new() { Timeout = BrowserFixture.Patience, PollingInterval = 50 });

        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        await Await.UntilAsync(() => upstream.OpenSockets == 0, "OpenAI's socket to close");
        await Await.UntilAsync(() => voice.App.Services.GetRequiredService<CallControllers>().Live == 0, "the call's controller to close");
    }

    [GeneratedRegex("^a=candidate:.*\r\n", RegexOptions.Multiline)]
    private static partial Regex Candidates();

    [Fact]
    public async Task When_WebRTC_cannot_connect_the_call_falls_back_to_the_WebSocket_and_the_tab_goes_straight_there_next_time()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser);
        // A network that blocks UDP: neither side learns a candidate it can reach.
        voice.OpenAI.AnswerCallsWith(async offer => Candidates().Replace(
            await voice.Peer.EvaluateAsync<string>("([sdp, dcid]) => window.fakeOpenAI.answer(sdp, dcid)", new object?[] { Candidates().Replace(offer.Sdp, ""), offer.DataChannelId }), ""));

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Status).ToHaveTextAsync(FallbackStatus);
        Assert.Single(voice.OpenAI.Arrivals("/realtime/calls"));
        // The WebRTC attempt was hung up, so its slot is not held while the WebSocket call runs.
        await Await.UntilAsync(() => voice.OpenAI.Arrivals($"/realtime/calls/{FakeOpenAI.CallId}/hangup").Count == 1, "the failed WebRTC call's hang-up");
        Assert.Equal(1, voice.OpenAI.RealtimeSocket.OpenSockets);

        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Status).ToHaveTextAsync(FallbackStatus);
        Assert.Single(voice.OpenAI.Arrivals("/realtime/calls"));
        Assert.Equal(2, voice.OpenAI.RealtimeSocket.Handshakes.Count);
    }

    [Fact]
    public async Task Through_the_deploy_nginx_config_under_a_sub_path_the_WebSocket_call_upgrades_and_its_worklets_load()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Transports"] = "WebSocket" }, throughNginx: true);
        var upstream = voice.OpenAI.RealtimeSocket;
        upstream.AnswerSpeech = false;
        Assert.Equal("/voice/", new Uri(voice.Page.Url).AbsolutePath);

        await voice.ConnectButton.ClickAsync();

        await Expect(voice.Status).ToHaveTextAsync(FallbackStatus);
        await Await.UntilAsync(() => upstream.Audio.SpeechMs >= 300, "the user's speech at OpenAI through nginx", TimeSpan.FromSeconds(30));
        upstream.ReplySeconds = 8;
        await upstream.ReplyAsync();
        await Expect(voice.TranscriptLines.Nth(1)).ToContainTextAsync(FakeRealtimeSocket.ReplyTranscript);
        await voice.WaitForAssistantAudioInPageAsync();
        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        await Await.UntilAsync(() => upstream.OpenSockets == 0, "OpenAI's socket to close");
    }

    [Fact]
    public async Task A_function_call_on_the_WebSocket_runs_the_servers_CSharp_tool_and_the_user_sees_it_as_a_Tool_line()
    {
        await using var voice = await VoiceHarness.StartAsync(browser.Browser, new Dictionary<string, string?> { ["Realtime:Transports"] = "WebSocket" },
            services: services => services.AddSingleton(AIFunctionFactory.Create(([Description("City")] string city) => $"Sunny in {city}", "get_weather", "Today's weather in a city.")));
        var upstream = voice.OpenAI.RealtimeSocket;
        upstream.AnswerSpeech = false;
        await voice.ConnectButton.ClickAsync();
        await Expect(voice.Status).ToHaveTextAsync(FallbackStatus);

        var done = new { id = "item_fc1", type = "function_call", status = "completed", call_id = "call_1", name = "get_weather", arguments = """{"city":"Tokyo"}""" };
        foreach (var serverEvent in new object[]
        {
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_user1", type = "message", role = "user", content = new[] { new { type = "input_text", text = "Weather in Tokyo?" } } } },
            new { type = "conversation.item.added", previous_item_id = "item_user1", item = done with { } },
            new { type = "response.function_call_arguments.done", item_id = "item_fc1", call_id = "call_1", arguments = done.arguments },
            new { type = "response.output_item.done", response_id = "resp_1", item = done },
            new { type = "response.done", response = new { id = "resp_1", status = "completed", output = new[] { done } } },
        })
        {
            await upstream.SendAsync(JsonSerializer.Serialize(serverEvent));
        }

        // The server's controller answered on OpenAI's socket: the tool's output, then a request to speak it.
        await Await.UntilAsync(() => upstream.ReceivedOfType("response.create").Count == 1, "the tool's answer at OpenAI");
        var output = upstream.ReceivedOfType("conversation.item.create").Single().GetProperty("item");
        Assert.Equal("call_1", output.GetProperty("call_id").GetString());
        Assert.Equal("Sunny in Tokyo", output.GetProperty("output").GetString());
        var toolLine = voice.TranscriptLines.Filter(new() { HasText = "get_weather" });
        await Expect(toolLine).ToHaveAccessibleNameAsync("Tool");
        await Expect(toolLine).ToContainTextAsync("""get_weather {"city":"Tokyo"} → Sunny in Tokyo""");
    }
}
