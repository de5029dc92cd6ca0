using Microsoft.Playwright;
using RealtimeRazor.Tests.Browser.Tracing;
using RealtimeRazor.Tests.Infrastructure;

namespace RealtimeRazor.Tests.Browser;

/// <summary>
/// One user's page on the real app (Kestrel on a real port) and the fake OpenAI: WireMock for HTTP,
/// and a peer page in the same browser that answers the SDP and scripts events.
/// </summary>
public sealed class VoiceHarness : IAsyncDisposable
{
    // Observes, without changing, what the page does with the microphone and assistant audio.
    private const string Instrumentation = """
        (() => {
          const streams = [];
          const devices = navigator.mediaDevices;
          if (devices && devices.getUserMedia) {
            const original = devices.getUserMedia.bind(devices);
            devices.getUserMedia = async (constraints) => {
              const stream = await original(constraints);
              streams.push(stream);
              return stream;
            };
          }
          let meter = null;
          window.__test = {
            liveMicTracks: () => streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length,
            micRequests: () => streams.length,
            assistantLevel: () => {
              const stream = document.getElementById('assistant-audio')?.srcObject;
              if (!(stream instanceof MediaStream)) return 0;
              if (meter === null || meter.stream !== stream) {
                const context = new AudioContext();
                const analyser = context.createAnalyser();
                analyser.fftSize = 2048;
                context.createMediaStreamSource(stream).connect(analyser);
                meter = { stream, analyser };
              }
              const samples = new Float32Array(meter.analyser.fftSize);
              meter.analyser.getFloatTimeDomainData(samples);
              let sum = 0;
              for (const sample of samples) sum += sample * sample;
              return Math.sqrt(sum / samples.length);
            },
          };
        })();
        """;

    private readonly TracedContext _userContext;
    private readonly TracedContext _peerContext;
    private readonly NginxProxy? _nginx;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _policyViolations = new();

    private VoiceHarness(FakeOpenAI openAI, AppFactory app, Uri appUrl, TracedContext userContext, IPage page, TracedContext peerContext, IPage peer, NginxProxy? nginx)
    {
        OpenAI = openAI;
        App = app;
        AppUrl = appUrl;
        _userContext = userContext;
        Page = page;
        _peerContext = peerContext;
        Peer = peer;
        _nginx = nginx;
        // The page must work under its own Content-Security-Policy: a blocked script or style is a defect.
        Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                _policyViolations.Enqueue(message.Text);
        };
    }

    public FakeOpenAI OpenAI { get; }
    public AppFactory App { get; }
    public Uri AppUrl { get; }
    public IPage Page { get; }
    public IPage Peer { get; }

    public ILocator ConnectButton => Page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true });
    public ILocator DisconnectButton => Page.GetByRole(AriaRole.Button, new() { Name = "Disconnect", Exact = true });
    public ILocator Status => Page.GetByRole(AriaRole.Status);
    public ILocator Alert => Page.GetByRole(AriaRole.Alert);
    public ILocator Transcript => Page.GetByRole(AriaRole.Log, new() { Name = "Transcript" });
    public ILocator TranscriptLines => Transcript.GetByRole(AriaRole.Listitem);

    public IBrowserContext Context => _userContext.Context;

    /// <summary>
    /// The user's page in English unless <paramref name="userOptions"/> says otherwise: the locators
    /// above use the English accessible names.
    /// </summary>
    /// <param name="throughNginx">Open the page through real nginx, configured from deploy/, under /voice/.</param>
    /// <param name="headers">Sent by the user's browser with every request (e.g. an auth proxy's user header).</param>
    public static async Task<VoiceHarness> StartAsync(
        IBrowser browser, IDictionary<string, string?>? settings = null, BrowserNewContextOptions? userOptions = null,
        bool throughNginx = false, LogCapture? logs = null, IDictionary<string, string>? headers = null, bool openPage = true,
        string openAIPathBase = "/v1", Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var openAI = new FakeOpenAI(pathBase: openAIPathBase);
        var peerPage = openAI.ServePeerPage();
        var app = new AppFactory(openAI, settings, logs: logs, services: services);
        var appUrl = app.StartKestrel();
        var nginx = throughNginx ? await NginxProxy.StartAsync(appUrl) : null;
        appUrl = nginx?.Url ?? appUrl;

        var peerContext = await TracedContext.OpenAsync(browser, "peer");
        var peer = await peerContext.Context.NewPageAsync();
        await BridgeSidebandAsync(openAI, peer);
        await peer.GotoAsync(peerPage);
        await peer.WaitForFunctionAsync("() => window.fakeOpenAI !== undefined");
        openAI.AnswerCallsWith(offer => peer.EvaluateAsync<string>("([sdp, dcid]) => window.fakeOpenAI.answer(sdp, dcid)", new object?[] { offer.Sdp, offer.DataChannelId }));

        userOptions ??= new BrowserNewContextOptions();
        userOptions.Locale ??= "en-US";
        if (headers is not null)
            userOptions.ExtraHTTPHeaders = headers;
        // nginx serves HTTPS with a self-signed certificate made for the test.
        if (nginx is not null)
            userOptions.IgnoreHTTPSErrors = true;
        var userContext = await TracedContext.OpenAsync(browser, "user", userOptions);
        await userContext.Context.AddInitScriptAsync(Instrumentation);
        var page = await userContext.Context.NewPageAsync();
        var voice = new VoiceHarness(openAI, app, appUrl, userContext, page, peerContext, peer, nginx);
        if (openPage)
            await page.GotoAsync(appUrl.ToString());
        return voice;
    }

    public async Task ConnectAsync()
    {
        await ConnectButton.ClickAsync();
        try
        {
            await Assertions.Expect(Status).ToHaveTextAsync("Connected", new() { Timeout = BrowserFixture.Patience });
        }
        catch (PlaywrightException ex)
        {
            // Say what the page told its user, so a failure here can be diagnosed from the test log alone.
            var shown = await Alert.IsVisibleAsync() ? await Alert.TextContentAsync() : "(no message)";
            throw new Xunit.Sdk.XunitException($"The page did not connect; it showed: {shown}. {ex.Message}");
        }
        await Peer.WaitForFunctionAsync("() => window.fakeOpenAI.channelState() === 'open'");
    }

    /// <summary>Sends server events from the fake OpenAI over the data channel.</summary>
    public Task SendEventsAsync(params object[] events) => Peer.EvaluateAsync("events => window.fakeOpenAI.send(events)", events);

    public Task SpeakAsync(bool on) => Peer.EvaluateAsync("on => window.fakeOpenAI.speak(on)", on);

    /// <summary>Waits until the peer hears the user's microphone above <paramref name="threshold"/> RMS.</summary>
    public Task WaitForMicrophoneAtPeerAsync(double threshold = 0.01) =>
        Peer.WaitForFunctionAsync($"() => window.fakeOpenAI.micLevel() > {threshold}", null, new() { Timeout = BrowserFixture.Patience, PollingInterval = 20 });

    /// <summary>
    /// Waits until the peer has heard silence (below <paramref name="threshold"/> RMS) for a full second, in
    /// at least ten samples: longer than any pause in the speech fixture (0.8 s), so a pause between words,
    /// with speech sent before a mute still on its way, does not pass for a silenced microphone.
    /// </summary>
    public async Task WaitForMicrophoneSilenceAtPeerAsync(double threshold)
    {
        await Peer.EvaluateAsync("() => { window.__quiet = { since: null, samples: 0 }; }");
        await Peer.WaitForFunctionAsync("""
            threshold => {
              const quiet = window.__quiet;
              if (window.fakeOpenAI.micLevel() >= threshold) {
                quiet.since = null;
                quiet.samples = 0;
                return false;
              }
              quiet.since ??= performance.now();
              quiet.samples++;
              return quiet.samples >= 10 && performance.now() - quiet.since >= 1000;
            }
            """, threshold, new() { Timeout = BrowserFixture.Patience, PollingInterval = 20 });
    }

    /// <summary>Waits until the page's audio element carries the assistant's audio above <paramref name="threshold"/> RMS.</summary>
    public Task WaitForAssistantAudioInPageAsync(double threshold = 0.05) =>
        Page.WaitForFunctionAsync($"() => window.__test.assistantLevel() > {threshold}", null, new() { Timeout = BrowserFixture.Patience, PollingInterval = 20 });

    public Task<int> LiveMicrophoneTracksAsync() => Page.EvaluateAsync<int>("() => window.__test.liveMicTracks()");

    /// <summary>Waits until the fake OpenAI has received <paramref name="count"/> client events of <paramref name="type"/>.</summary>
    public Task WaitForClientEventAsync(string type, int count = 1) =>
        Peer.WaitForFunctionAsync("([type, count]) => window.fakeOpenAI.received().filter(e => e.type === type).length >= count",
            new object[] { type, count }, new() { Timeout = BrowserFixture.Patience });

    public async Task<System.Text.Json.JsonElement[]> ClientEventsAsync(string type)
    {
        // As JSON text: Playwright's own conversion of nested objects to JsonElement loses nulls.
        var json = await Peer.EvaluateAsync<string>("type => JSON.stringify(window.fakeOpenAI.received().filter(e => e.type === type))", type);
        return System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateArray().ToArray();
    }

    /// <summary>The loudest the user's microphone was at the peer over <paramref name="milliseconds"/> of sampling.</summary>
    public Task<double> PeakMicrophoneAtPeerAsync(int milliseconds = 1500) => Peer.EvaluateAsync<double>("""
        ms => new Promise(resolve => {
          let peak = 0;
          const end = performance.now() + ms;
          const sample = () => {
            peak = Math.max(peak, window.fakeOpenAI.micLevel());
            if (performance.now() >= end) resolve(peak); else setTimeout(sample, 20);
          };
          sample();
        })
        """, milliseconds);

    public Task<int> PeerCallCountAsync() => Peer.EvaluateAsync<int>("() => window.fakeOpenAI.callCount()");

    public async Task<IReadOnlyList<string>> ClientEventTypesAsync() =>
        await Peer.EvaluateAsync<string[]>("() => window.fakeOpenAI.received().map(e => e.type)");

    /// <summary>After any ending, the page is back where it started: Connect offered, mic released.</summary>
    public async Task ExpectTornDownAsync()
    {
        await Assertions.Expect(Status).ToHaveTextAsync("Not connected", new() { Timeout = BrowserFixture.Patience });
        await Assertions.Expect(ConnectButton).ToBeEnabledAsync();
        Assert.Equal(0, await LiveMicrophoneTracksAsync());
    }

    /// <summary>
    /// One call, two ways in, as at OpenAI: what the peer sends on the data channel also goes to the
    /// sideband, and what the server sends on the sideband reaches the peer as a client event.
    /// </summary>
    private static async Task BridgeSidebandAsync(FakeOpenAI openAI, IPage peer)
    {
        await peer.ExposeFunctionAsync<string, Task>("toSideband", openAI.Sideband.SendAsync);
        openAI.Sideband.OnClientEvent = json => peer.EvaluateAsync("json => window.fakeOpenAI.fromSideband(json)", json);
    }

    public async ValueTask DisposeAsync()
    {
        await _userContext.DisposeAsync();
        _nginx?.Dispose();
        await _peerContext.DisposeAsync();
        await App.DisposeAsync();
        OpenAI.Dispose();
        Assert.Empty(_policyViolations);
    }
}
