using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime.Calls;
using RealtimeRazor.Web.Realtime.Tools;

using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// The WebSocket transport, for networks where WebRTC cannot get through (OpenAI's WebRTC offers UDP only):
/// the page's socket to this server, relayed to OpenAI's Realtime WebSocket interface opened with the server's
/// credentials. Refused like <c>POST /api/realtime/calls</c> (access, origin, rate limit, budget, caps), with
/// problem details before the upgrade; after it, <see cref="RealtimeRelay"/> carries the events both ways.
/// A browser cannot read a refused handshake, so a page whose socket closed before it opened asks the same
/// address with a plain GET: the same checks answer with the same problem, or <c>web_socket_required</c> when none stands in the way.
/// </summary>
public static partial class RealtimeSocket
{
    public const string Path = "/socket";

    /// <summary>How often both sockets are pinged, and how long a missing pong is waited for before the socket is dropped.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapRealtimeSocket(this RouteGroupBuilder api)
    {
        api.MapGet(Path, ConnectAsync).RequireRateLimiting(AccessExtensions.SessionsRateLimit);
        return api;
    }

    private static async Task<IResult> ConnectAsync(
        HttpContext context, IOptions<RealtimeOptions> realtime, IOptions<OpenAIOptions> openAI, UpstreamAuthentication authentication, RealtimeTools tools,
        SessionRegistry sessions, CallControllers controllers, AuditLog audit, CallRecorder records, ILogger<RealtimeRelay> logger, IHostApplicationLifetime lifetime,
        string? preset, string? instructions)
    {
        if (SessionConfig.Resolve(realtime.Value, preset, instructions).Refused(out var refusal, out var settings))
            return refusal;

        var identity = AccessIdentity.Of(context);
        if (!context.WebSockets.IsWebSocketRequest)
            return await WhyRefusedAsync(sessions, identity);
        // Before the upgrade: in Open mode it may set the browser's identity cookie, which needs the response's headers.
        var recordOwner = RecordOwner.Of(context);
        var sessionTools = tools.For(settings.Tools);
        var callId = "ws_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        // The slot is held (never kept) for as long as the socket lives: disposing the lease frees it at once,
        // and with Redis it lapses within seconds of this instance dying (nothing here renews it any more).
        if ((await sessions.ReserveWhileOpenAsync(identity, sessionTools, callId)).Refused(out refusal, out var lease))
        {
            audit.SessionRefused(identity, Refusal.CodeOf(refusal.Code));
            return refusal;
        }
        await using var slot = lease;
        var upstream = await OpenUpstreamAsync(openAI.Value, realtime.Value.Model, authentication, logger, context.RequestAborted);
        try
        {
            await upstream.SendAsync(SessionUpdate(realtime.Value, settings, sessionTools), WebSocketMessageType.Text, true, context.RequestAborted);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
            upstream.Dispose();
            throw new UpstreamException(UpstreamFailure.Unavailable, inner: ex);
        }
        catch (OperationCanceledException)
        {
            upstream.Dispose();
            return Results.Empty;
        }

        WebSocket browser;
        try
        {
            browser = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = KeepAlive, KeepAliveTimeout = KeepAlive });
        }
        catch
        {
            upstream.Dispose();
            throw;
        }
        using var accepted = browser;
        audit.CallStarted(callId, identity);
        records.Describe(callId, new CallDescription(recordOwner, "websocket", realtime.Value.Model, preset, settings.Voice));
        using var relay = new RealtimeRelay(browser, realtime.Value, logger);
        var controller = controllers.OpenRelay(callId, identity, sessionTools, upstream, relay.ForwardAsync, relay.EndAsync);
        try
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            await relay.RunAsync(controller, sessions.MaxSessionLength, stopping.Token);
        }
        finally
        {
            // Upstream closed before the slot is given back: a new session never overlaps this one at OpenAI.
            await controllers.CloseAsync(controller);
            audit.CallEnded(callId, identity);
        }
        return Results.Empty;
    }

    /// <summary>
    /// A plain GET, after the endpoint's filters (access, origin, rate limit) have passed: the budget and the caps are
    /// asked by taking a slot and giving it back at once. Not audited as a refusal: it is a question, not a session.
    /// </summary>
    private static async Task<Refusal> WhyRefusedAsync(SessionRegistry sessions, string identity)
    {
        if ((await sessions.ReserveWhileOpenAsync(identity, [])).Refused(out var refusal, out var probe))
            return refusal;
        await probe.DisposeAsync();
        return Refusal.Of(ProblemCode.WebSocketRequired);
    }

    /// <summary>The session the page chose, sent by the server itself: the page never configures its own session.</summary>
    private static byte[] SessionUpdate(RealtimeOptions options, SessionSettings settings, IReadOnlyList<Microsoft.Extensions.AI.AIFunction> tools)
    {
        var session = SessionConfig.Build(options, settings, tools);
        // The WebSocket interface's audio, both ways: what the page's worklets capture and play.
        var format = new JsonObject { ["type"] = "audio/pcm", ["rate"] = RealtimeRelay.SampleRate };
        session["audio"]!["input"]!["format"] = format;
        session["audio"]!["output"]!["format"] = format.DeepClone();
        return Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "session.update", ["session"] = session }.ToJsonString());
    }

    /// <summary>Opens OpenAI's Realtime WebSocket interface with the server's credentials, or throws an <see cref="UpstreamException"/>.</summary>
    private static async Task<ClientWebSocket> OpenUpstreamAsync(OpenAIOptions options, string model, UpstreamAuthentication authentication, ILogger logger, CancellationToken aborted)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = KeepAlive;
        socket.Options.KeepAliveTimeout = KeepAlive;
        socket.Options.CollectHttpResponseDetails = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
        try
        {
            var (header, value) = await authentication.HeaderAsync(timeout.Token);
            socket.Options.SetRequestHeader(header, value);
            await socket.ConnectAsync(options.RealtimeUrl(model), timeout.Token);
            return socket;
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or OperationCanceledException)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            if (ex is OperationCanceledException && aborted.IsCancellationRequested)
                throw;
            LogUpstreamRefused(logger, (int)status);
            throw status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new UpstreamException(UpstreamFailure.KeyRefused, inner: ex),
                HttpStatusCode.TooManyRequests => new UpstreamException(UpstreamFailure.RateLimited, inner: ex),
                >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError => new UpstreamException(UpstreamFailure.Rejected, inner: ex),
                _ when ex is OperationCanceledException => new UpstreamException(UpstreamFailure.Timeout, inner: ex),
                _ => new UpstreamException(UpstreamFailure.Unavailable, inner: ex),
            };
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAI's Realtime WebSocket could not be opened (HTTP {Status})")]
    private static partial void LogUpstreamRefused(ILogger logger, int status);
}
