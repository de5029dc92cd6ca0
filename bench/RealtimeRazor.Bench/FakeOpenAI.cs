using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace RealtimeRazor.Bench;

/// <summary>One answered upstream call: what it was and how long the fake spent on it (delay included).</summary>
public sealed record ServedCall(string Method, string Path, TimeSpan ServiceTime);

/// <summary>
/// OpenAI's HTTP side for the benchmark. Every answer, CORS preflights included, waits
/// <see cref="Delay"/> first, as a remote server's round trip would; the time spent answering each
/// call is recorded so the benchmark can subtract what the fake itself cost.
/// </summary>
public sealed class FakeOpenAI : IDisposable
{
    public const string ApiKey = "sk-bench-FAKE0123456789abcdefghijklmnop";
    public const string EphemeralKey = "ek_bench0123456789abcdef";
    public const string CallId = "rtc_bench0123456789";

    /// <summary>A well-formed SDP answer for load runs that never reach WebRTC.</summary>
    public const string StaticAnswer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n";

    private static readonly Dictionary<string, WireMockList<string>> CorsHeaders = new()
    {
        ["Access-Control-Allow-Origin"] = new("*"),
        ["Access-Control-Expose-Headers"] = new("Location"),
    };

    private readonly ConcurrentQueue<ServedCall> _served = new();
    private Func<string, int?, Task<string>> _answer = (_, _) => Task.FromResult(StaticAnswer);

    public FakeOpenAI(TimeSpan delay)
    {
        Delay = delay;
        // No WireMock CORS policy: its middleware would answer preflights before the delay applies.
        Server = WireMockServer.Start(new WireMockServerSettings { MaxRequestLogCount = 0, StartAdminInterface = false });

        Server.Given(Request.Create().UsingOptions()).AtPriority(1)
            .RespondWith(Response.Create().WithCallback(async request => await Served(request, async () =>
            {
                await Task.Delay(Delay);
                return new ResponseMessage
                {
                    StatusCode = 204,
                    Headers = new Dictionary<string, WireMockList<string>>(CorsHeaders)
                    {
                        ["Access-Control-Allow-Methods"] = new("POST"),
                        ["Access-Control-Allow-Headers"] = new("authorization, content-type"),
                    },
                };
            })));
        Server.Given(Request.Create().WithPath("/v1/realtime/calls").UsingPost()).AtPriority(10)
            .RespondWith(Response.Create().WithCallback(async request => await Served(request, async () =>
            {
                await Task.Delay(Delay);
                var answer = await _answer(OfferFrom(request), DataChannelIdFrom(request));
                return new ResponseMessage
                {
                    StatusCode = 201,
                    Headers = new Dictionary<string, WireMockList<string>>(CorsHeaders)
                    {
                        ["Content-Type"] = new("application/sdp"),
                        ["Location"] = new($"/v1/realtime/calls/{CallId}"),
                    },
                    BodyData = new BodyData { DetectedBodyType = BodyType.String, BodyAsString = answer },
                };
            })));
        Server.Given(Request.Create().WithPath("/v1/realtime/client_secrets").UsingPost()).AtPriority(10)
            .RespondWith(Response.Create().WithCallback(async request => await Served(request, async () =>
            {
                await Task.Delay(Delay);
                return new ResponseMessage
                {
                    StatusCode = 200,
                    Headers = new Dictionary<string, WireMockList<string>>(CorsHeaders) { ["Content-Type"] = new("application/json") },
                    BodyData = new BodyData
                    {
                        DetectedBodyType = BodyType.String,
                        BodyAsString = JsonSerializer.Serialize(new { value = EphemeralKey, expires_at = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds() }),
                    },
                };
            })));
        Server.Given(Request.Create().WithPath("/v1/realtime/calls/*/hangup").UsingPost()).AtPriority(10)
            .RespondWith(Response.Create().WithCallback(async request => await Served(request, async () =>
            {
                await Task.Delay(Delay);
                return new ResponseMessage { StatusCode = 200, Headers = new Dictionary<string, WireMockList<string>>(CorsHeaders) };
            })));
    }

    public WireMockServer Server { get; }

    public TimeSpan Delay { get; set; }

    public string BaseUrl => Server.Url + "/v1";

    /// <summary>Answers offers with <paramref name="answer"/> (the fake WebRTC peer) instead of the static SDP.</summary>
    public void AnswerCallsWith(Func<string, int?, Task<string>> answer) => _answer = answer;

    public void AnswerStatically() => _answer = (_, _) => Task.FromResult(StaticAnswer);

    /// <summary>Serves a file from disk at <paramref name="path"/> (the peer page and its script).</summary>
    public void ServeFile(string path, string file, string contentType) =>
        Server.Given(Request.Create().WithPath(path).UsingGet()).AtPriority(5)
            .RespondWith(Response.Create().WithHeader("Content-Type", contentType).WithBody(File.ReadAllText(file)));

    /// <summary>Returns and forgets what has been served since the last call.</summary>
    public IReadOnlyList<ServedCall> TakeServed()
    {
        var taken = new List<ServedCall>();
        while (_served.TryDequeue(out var call))
            taken.Add(call);
        return taken;
    }

    private async Task<ResponseMessage> Served(IRequestMessage request, Func<Task<ResponseMessage>> answer)
    {
        var clock = Stopwatch.StartNew();
        var response = await answer();
        _served.Enqueue(new ServedCall(request.Method, request.Path, clock.Elapsed));
        return response;
    }

    /// <summary>WARP's pre-negotiated channel id, from the call's <c>dcid</c> query parameter.</summary>
    private static int? DataChannelIdFrom(IRequestMessage request) =>
        request.Query is { } query && query.TryGetValue("dcid", out var dcid) && int.TryParse(dcid.FirstOrDefault(), out var id) ? id : null;

    /// <summary>The offer from the server's multipart form, or the raw SDP a browser posts.</summary>
    private static string OfferFrom(IRequestMessage request)
    {
        var body = request.Body ?? string.Empty;
        var contentType = request.Headers is { } headers && headers.TryGetValue("Content-Type", out var values) ? values.FirstOrDefault() ?? "" : "";
        if (!contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return body;
        const string marker = "name=sdp";
        var field = body.IndexOf(marker, StringComparison.Ordinal);
        var start = field < 0 ? -1 : body.IndexOf("\r\n\r\n", field, StringComparison.Ordinal);
        if (start < 0)
            return body;
        start += 4;
        var end = body.IndexOf("\r\n--", start, StringComparison.Ordinal);
        return end < 0 ? body[start..] : body[start..end];
    }

    public void Dispose() => Server.Stop();
}
