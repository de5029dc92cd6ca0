using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WireMock;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace RealtimeRazor.Testing;

/// <summary>An offer as OpenAI receives it: the SDP, and the <c>dcid</c> of a pre-negotiated data channel.</summary>
public sealed record CallOffer(string Sdp, int? DataChannelId);

/// <summary>One answered request: what it was and how long the fake spent on it, its <see cref="FakeOpenAI.Delay"/> included.</summary>
public sealed record ServedCall(string Method, string Path, TimeSpan ServiceTime);

/// <summary>
/// OpenAI's Realtime HTTP side as documented: <c>POST /v1/realtime/calls</c> answers 201 with
/// <c>application/sdp</c> and a <c>Location</c> naming the call; <c>client_secrets</c> answers JSON;
/// hang-up answers 200. Tests replace any route to script failures. For the benchmark, every answer,
/// CORS preflights included, first waits <see cref="Delay"/>, as a remote server's round trip would,
/// and the time spent on each is reported (<see cref="TakeServed"/>) so it can subtract what the fake cost.
/// </summary>
public sealed partial class FakeOpenAI : IDisposable
{
    public const string ApiKey = "sk-test-FAKE0123456789abcdefghijklmnop";
    public const string CallId = "rtc_fake0123456789";
    public const string EphemeralKey = "ek_fake0123456789abcdef";

    /// <summary>A minimal but well-formed SDP answer, for tests that never reach WebRTC.</summary>
    public const string StaticAnswer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n";

    // WireMock tries lower numbers first: scripted failures win over the documented behaviour.
    private const int ScriptedPriority = 1;
    private const int DefaultPriority = 100;

    public WireMockServer Server { get; }

    /// <summary>With <c>tls</c>: the self-signed certificate it serves https with, as OpenAI serves it (AppFactory trusts it).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Where Azure OpenAI serves its GA Realtime interface: <c>https://{resource}.openai.azure.com/openai/v1</c>.</summary>
    public const string AzurePathBase = "/openai/v1";

    private readonly string _pathBase;

    /// <param name="tls">Serve https with a self-signed certificate.</param>
    /// <param name="pathBase">The API's root path: OpenAI's <c>/v1</c>, or Azure's <see cref="AzurePathBase"/>.</param>
    /// <param name="delay">How long every answer waits first (see <see cref="Delay"/>).</param>
    /// <param name="logRequests">
    /// False for load runs: no request log, no <see cref="Arrivals"/>, so thousands of requests cost the
    /// fake nothing; service times are still reported.
    /// </param>
    public FakeOpenAI(bool tls = false, string pathBase = "/v1", TimeSpan delay = default, bool logRequests = true)
    {
        _pathBase = pathBase;
        Sideband = new FakeSideband(pathBase);
        RealtimeSocket = new FakeRealtimeSocket(pathBase);
        Delay = delay;
        Certificate = tls ? SelfSignedForLoopback() : null;
        Server = WireMockServer.Start(new WireMockServerSettings
        {
            MaxRequestLogCount = logRequests ? null : 0,
            UseSSL = tls,
            CertificateSettings = tls ? new WireMockCertificateSettings { X509Certificate = Certificate } : null,
            // WireMock logs a request once it has been answered; "was OpenAI called?" must be asked at the door.
            // CORS is answered here too, not by WireMock's policy, which would answer preflights before the delay.
            PreWireMockMiddlewareInit = app =>
            {
                ((IApplicationBuilder)app).Use(async (context, next) =>
                {
                    var clock = Stopwatch.StartNew();
                    var (method, path) = (context.Request.Method, context.Request.Path.Value ?? string.Empty);
                    if (logRequests)
                    {
                        lock (_arrivals)
                            _arrivals.Add((method, path));
                    }
                    // A hang-up ends the call for its sideband too, as at OpenAI.
                    if (EndsSidebandOnHangUp && path.StartsWith(pathBase, StringComparison.Ordinal) && HangUpPath().Match(path[pathBase.Length..]) is { Success: true } hangUp)
                        Sideband.End(hangUp.Groups[1].Value);
                    if (Delay > TimeSpan.Zero)
                        await Task.Delay(Delay);
                    // Direct mode: the browser posts its offer to "OpenAI" from the app's origin, and reads the call id
                    // from Location, as OpenAI's own browser SDK does.
                    context.Response.Headers.AccessControlAllowOrigin = "*";
                    context.Response.Headers.AccessControlExposeHeaders = "Location";
                    if (HttpMethods.IsOptions(method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method"))
                    {
                        context.Response.StatusCode = StatusCodes.Status204NoContent;
                        context.Response.Headers.AccessControlAllowMethods = "GET, POST, PUT, DELETE";
                        context.Response.Headers.AccessControlAllowHeaders = context.Request.Headers.AccessControlRequestHeaders;
                    }
                    else
                    {
                        await next(context);
                    }
                    _served.Enqueue(new ServedCall(method, path, clock.Elapsed));
                });
                Sideband.Use((IApplicationBuilder)app, RealtimeSocket);
            },
        });
        Server.Given(Request.Create().WithPath(pathBase + "/realtime/calls").UsingPost()).AtPriority(DefaultPriority)
            .RespondWith(Response.Create().WithCallback(async request => new ResponseMessage
            {
                StatusCode = 201,
                Headers = new Dictionary<string, WireMockList<string>>
                {
                    ["Content-Type"] = new("application/sdp"),
                    ["Location"] = new($"{pathBase}/realtime/calls/{NextCallId()}"),
                },
                BodyData = new BodyData { DetectedBodyType = BodyType.String, BodyAsString = await _answer(await OfferFrom(request)) },
            }));
        Server.Given(Request.Create().WithPath(pathBase + "/realtime/client_secrets").UsingPost()).AtPriority(DefaultPriority)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(JsonSerializer.Serialize(new
                {
                    value = EphemeralKey,
                    expires_at = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds(),
                    session = new { type = "realtime", model = "gpt-realtime" },
                })));
        Server.Given(Request.Create().WithPath(pathBase + "/realtime/calls/*/hangup").UsingPost()).AtPriority(DefaultPriority)
            .RespondWith(Response.Create().WithStatusCode(200));
    }

    public string BaseUrl => Server.Url + _pathBase;

    /// <summary>How long every answer waits before it is served: a remote server's round trip. Can change between runs.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>The WebSocket each live call's server joins (see <see cref="FakeSideband"/>).</summary>
    public FakeSideband Sideband { get; }

    /// <summary>OpenAI's Realtime WebSocket interface, which the server opens for a page on the WebSocket transport.</summary>
    public FakeRealtimeSocket RealtimeSocket { get; }

    [System.Text.RegularExpressions.GeneratedRegex("^/realtime/calls/([^/]+)/hangup$")]
    private static partial System.Text.RegularExpressions.Regex HangUpPath();

    /// <summary>
    /// True (OpenAI's way): a hang-up closes the call's sideband from this end. False leaves each socket to the
    /// server, for tests that must see the server close what it opened by itself.
    /// </summary>
    public bool EndsSidebandOnHangUp { get; set; } = true;

    /// <summary>
    /// Each answered call gets its own id (<c>rtc_fake_1</c>, <c>rtc_fake_2</c>, …) instead of <see cref="CallId"/>:
    /// for load runs with many live calls at once, each with its own sideband.
    /// </summary>
    public bool UniqueCallIds { get; set; }

    private int _calls;

    private string NextCallId() => UniqueCallIds ? $"rtc_fake_{Interlocked.Increment(ref _calls)}" : CallId;

    /// <summary>Answers <c>POST /v1/realtime/calls</c> (multipart from the server, or raw SDP from a browser) with <paramref name="answer"/>.</summary>
    public void AnswerCallsWith(Func<CallOffer, Task<string>> answer) => _answer = answer;

    /// <summary>Answers calls with <see cref="StaticAnswer"/> again, as when the fake started.</summary>
    public void AnswerStatically() => _answer = _ => Task.FromResult(StaticAnswer);

    private Func<CallOffer, Task<string>> _answer = _ => Task.FromResult(StaticAnswer);

    /// <summary>
    /// Serves the fake WebRTC peer (e2e/peer.html and its compiled script) at <c>/peer/index.html</c>:
    /// a page in the browser under test that answers offers and speaks the Realtime events.
    /// </summary>
    public string ServePeerPage()
    {
        ServeFile("/peer/index.html", Path.Combine(Chromium.E2eDirectory, "peer.html"), "text/html");
        ServeFile("/peer/fake-openai-peer.js", Path.Combine(Chromium.E2eDirectory, "out", "fake-openai-peer.js"), "text/javascript");
        return Server.Url + "/peer/index.html";
    }

    private void ServeFile(string path, string file, string contentType)
    {
        if (!File.Exists(file))
            throw new FileNotFoundException("Build first: `dotnet build` compiles the fake peer's TypeScript.", file);
        Server.Given(Request.Create().WithPath(path).UsingGet()).AtPriority(ScriptedPriority)
            .RespondWith(Response.Create().WithHeader("Content-Type", contentType).WithBody(File.ReadAllText(file)));
    }

    private readonly ConcurrentQueue<ServedCall> _served = new();

    /// <summary>Returns and forgets every request answered since the last call, with the fake's own service time.</summary>
    public IReadOnlyList<ServedCall> TakeServed()
    {
        var taken = new List<ServedCall>();
        while (_served.TryDequeue(out var call))
            taken.Add(call);
        return taken;
    }

    /// <summary>Makes <paramref name="path"/> (below /v1) answer with a scripted failure.</summary>
    public void Fail(string path, int status, string contentType = "application/json", string? body = null, IDictionary<string, string>? headers = null, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType)
            .WithBody(body ?? """{"error":{"message":"scripted failure","type":"invalid_request_error","code":"scripted_failure"}}""");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            response = response.WithHeader(name, value);
        if (delay is { } wait)
            response = response.WithDelay(wait);
        Server.Given(Request.Create().WithPath(_pathBase + path).UsingAnyMethod()).AtPriority(ScriptedPriority).RespondWith(response);
    }

    public IReadOnlyList<ILogEntry> Requests(string path) =>
        Server.LogEntries.Where(entry => entry.RequestMessage?.Path == _pathBase + path && entry.RequestMessage.Method != "OPTIONS").ToList();

    public IReadOnlyList<ILogEntry> AllRequests => Server.LogEntries.ToList();

    private readonly List<(string Method, string Path)> _arrivals = [];

    /// <summary>
    /// Every request as it ARRIVED, answered or not ("POST /v1/realtime/calls"), CORS preflights included;
    /// with <paramref name="path"/> (below /v1), only those to it, preflights excluded. Use this to assert
    /// OpenAI was not called: <see cref="Requests"/> misses a request still being served.
    /// </summary>
    public IReadOnlyList<string> Arrivals(string? path = null)
    {
        lock (_arrivals)
            return [.. _arrivals
                .Where(arrival => path is null || (arrival.Path == _pathBase + path && arrival.Method != "OPTIONS"))
                .Select(arrival => $"{arrival.Method} {arrival.Path}")];
    }

    private static async Task<CallOffer> OfferFrom(IRequestMessage request)
    {
        var body = request.Body ?? string.Empty;
        var contentType = request.Headers is { } headers && headers.TryGetValue("Content-Type", out var values) ? values.FirstOrDefault() ?? string.Empty : string.Empty;
        var sdp = contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? (await Multipart.ReadFieldsAsync(contentType, body))["sdp"]
            : body;
        int? dataChannelId = request.Query is { } query && query.TryGetValue("dcid", out var dcid) && int.TryParse(dcid.FirstOrDefault(), out var id) ? id : null;
        return new CallOffer(sdp, dataChannelId);
    }

    private static X509Certificate2 SelfSignedForLoopback()
    {
        // RSA: WireMock logs its settings, and reading an ECDSA certificate's legacy PrivateKey property throws.
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    public void Dispose()
    {
        Sideband.Drop();
        RealtimeSocket.Drop();
        Server.Stop();
        Certificate?.Dispose();
    }
}
