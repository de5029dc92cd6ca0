using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Realtime.Calls;
using static Microsoft.Playwright.Assertions;

namespace RealtimeRazor.Tests.Browser;

/// <summary>
/// The server joins the call: the model's function call, sent by the fake OpenAI to the page and the
/// sideband alike, runs an operator's C# tool on the server; OpenAI gets the output and a new response;
/// the user sees the tool call in the transcript, and a notice while the server cannot reach the call.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ToolCallTests(BrowserFixture browser)
{
    public static TheoryData<string> Modes => new() { "Relay", "Direct" };

    private static void Tools(IServiceCollection services)
    {
        services.AddSingleton(AIFunctionFactory.Create(([Description("City")] string city) => $"Sunny in {city}", "get_weather", "Today's weather in a city."));
        services.AddSingleton(AIFunctionFactory.Create(string () => throw new InvalidOperationException("boom"), "broken_lookup", "Always throws."));
    }

    private static Task<VoiceHarness> StartAsync(IBrowser chromium, string mode) =>
        VoiceHarness.StartAsync(chromium, new Dictionary<string, string?> { ["Realtime:Negotiation"] = mode }, services: Tools);

    /// <summary>What OpenAI sends when the model calls a function: the item, its arguments, the response.</summary>
    private static object[] FunctionCallEvents(string itemId, string callId, string name, string arguments, string? previousItemId)
    {
        var done = new { id = itemId, type = "function_call", status = "completed", call_id = callId, name, arguments };
        return
        [
            new { type = "conversation.item.added", previous_item_id = previousItemId, item = new { id = itemId, type = "function_call", status = "in_progress", call_id = callId, name, arguments = "" } },
            new { type = "response.function_call_arguments.done", item_id = itemId, call_id = callId, arguments },
            new { type = "response.output_item.done", response_id = "resp_1", item = done },
            new { type = "response.done", response = new { id = "resp_1", status = "completed", output = new[] { done } } },
        ];
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_function_call_runs_the_servers_CSharp_tool_and_the_user_sees_it_as_a_Tool_line(string mode)
    {
        await using var voice = await StartAsync(browser.Browser, mode);
        await voice.ConnectAsync();
        await Await.UntilAsync(() => voice.OpenAI.Sideband.OpenSockets == 1, "the server's sideband to the call", TimeSpan.FromSeconds(30));

        await voice.SendEventsAsync(
            new { type = "conversation.item.added", previous_item_id = (string?)null, item = new { id = "item_user1", type = "message", role = "user", content = new[] { new { type = "input_text", text = "Weather in Tokyo?" } } } });
        await voice.SendEventsAsync(FunctionCallEvents("item_fc1", "call_1", "get_weather", """{"city":"Tokyo"}""", "item_user1"));

        // OpenAI (the peer) receives the tool's output for that call, then a request to speak it.
        await voice.WaitForClientEventAsync("response.create");
        var output = Assert.Single(await voice.ClientEventsAsync("conversation.item.create"), e => e.GetProperty("item").GetProperty("type").GetString() == "function_call_output");
        Assert.Equal("call_1", output.GetProperty("item").GetProperty("call_id").GetString());
        Assert.Equal("Sunny in Tokyo", output.GetProperty("item").GetProperty("output").GetString());

        var toolLine = voice.TranscriptLines.Filter(new() { HasText = "get_weather" });
        await Expect(toolLine).ToHaveAccessibleNameAsync("Tool");
        await Expect(toolLine).ToContainTextAsync("""get_weather {"city":"Tokyo"} → Sunny in Tokyo""");
        await Expect(voice.TranscriptLines).ToHaveTextAsync(new[] { "YouWeather in Tokyo?", """Toolget_weather {"city":"Tokyo"} → Sunny in Tokyo""" });

        // A failing tool shows as failed; the call goes on.
        await voice.SendEventsAsync(FunctionCallEvents("item_fc2", "call_2", "broken_lookup", "{}", "item_fc1"));
        await Expect(voice.TranscriptLines.Filter(new() { HasText = "broken_lookup" })).ToContainTextAsync("broken_lookup {} → failed");
        await Expect(voice.Status).ToHaveTextAsync("Connected");
        await Expect(voice.Page.GetByText("Tools unavailable")).ToBeHiddenAsync();

        // Disconnect: the controller and its socket are gone with the call.
        await voice.DisconnectButton.ClickAsync();
        await voice.ExpectTornDownAsync();
        var controllers = voice.App.Services.GetRequiredService<CallControllers>();
        await Await.UntilAsync(() => controllers.Live == 0 && voice.OpenAI.Sideband.OpenSockets == 0, "no controller and no sideband left", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_sideband_that_cannot_open_shows_tools_unavailable_and_the_call_goes_on()
    {
        await using var voice = await StartAsync(browser.Browser, "Relay");
        voice.OpenAI.Sideband.RefuseWith = 503;

        await voice.ConnectAsync();

        await Expect(voice.Page.GetByText("Tools unavailable")).ToBeVisibleAsync();
        await Expect(voice.Status).ToHaveTextAsync("Connected");
        await voice.SendEventsAsync(new { type = "response.output_audio_transcript.done", item_id = "item_a1", transcript = "Still here." });
        await Expect(voice.TranscriptLines.Filter(new() { HasText = "Still here." })).ToBeVisibleAsync();

        // Once OpenAI lets the server in, the notice goes.
        voice.OpenAI.Sideband.RefuseWith = 0;
        await Expect(voice.Page.GetByText("Tools unavailable")).ToBeHiddenAsync();
        Assert.Equal(1, voice.OpenAI.Sideband.OpenSockets);
    }
}
