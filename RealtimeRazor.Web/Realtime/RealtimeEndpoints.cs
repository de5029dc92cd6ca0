using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime.Calls;
using RealtimeRazor.Web.Realtime.Tools;
using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Web.Realtime;

public static partial class RealtimeEndpoints
{
    public const int MaxOfferBytes = 64 * 1024;

    /// <summary>Where the page starts (POST), reports (PUT) and ends (DELETE) its calls; links are made from it.</summary>
    public const string CallsPath = Prefix + Calls;

    public const string ClientSecretPath = Prefix + ClientSecret;

    /// <summary>Where a page opens a WebSocket call (see <see cref="RealtimeSocket"/>).</summary>
    public const string SocketPath = Prefix + RealtimeSocket.Path;

    private const string Prefix = "/api/realtime";
    private const string Calls = "/calls";
    private const string ClientSecret = "/client-secret";
    private const string HangUpRoute = "HangUpCall";

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix)
            .RequireAuthorization(AccessExtensions.RealtimePolicy)
            .AddEndpointFilter(RealtimeEndpointFilters.NoStore)
            .AddEndpointFilter(RealtimeEndpointFilters.RequireApiKey)
            .AddEndpointFilter(RealtimeEndpointFilters.DescribeUpstreamFailures);

        api.MapPost(Calls, CreateCall).RequireMode(NegotiationMode.Relay).RequireRateLimiting(AccessExtensions.SessionsRateLimit);
        api.MapDelete(Calls + "/{id}", HangUp).WithName(HangUpRoute);
        api.MapGet(Calls + "/{id}", GetCallStatus);
        api.MapPut(Calls + "/{id}", ReportDirectCall).RequireMode(NegotiationMode.Direct);
        api.MapPost(Calls + "/{id}/unanswered", ReportUnansweredToolCall);
        api.MapRealtimeSocket();
        api.MapPost(ClientSecret, CreateClientSecret).RequireMode(NegotiationMode.Direct).RequireRateLimiting(AccessExtensions.SessionsRateLimit);
        return app;
    }

    /// <summary>Relay: forwards the browser's offer with the server key and returns OpenAI's answer.</summary>
    private static async Task<IResult> CreateCall(
        HttpContext context, OpenAIRealtimeClient openAI, IOptions<RealtimeOptions> realtime, RealtimeTools tools, LinkGenerator links, SessionRegistry sessions, AuditLog audit,
        CallRecorder records, RecordsStore kept, string? preset, string? instructions, string? dcid, Guid? @continue)
    {
        if (SessionConfig.Resolve(realtime.Value, preset, instructions).Refused(out var refusal, out var settings))
            return refusal;
        if ((await Continuation.AddAsync(settings, @continue, RecordOwner.Of(context), kept, context.RequestAborted)).Refused(out refusal, out settings))
            return refusal;
        if (DataChannelId.Parse(dcid).Refused(out refusal, out var dataChannelId))
            return refusal;
        if ((await SdpOffer.ReadAsync(context.Request)).Refused(out refusal, out var offer))
            return refusal;

        var identity = AccessIdentity.Of(context);
        var sessionTools = tools.For(settings.Tools);
        if ((await sessions.ReserveAsync(identity, sessions.MaxSessionLength, sessionTools)).Refused(out refusal, out var lease))
            return Refused(audit, identity, refusal);
        await using var reserved = lease;
        var answer = await openAI.CreateCallAsync(offer, SessionConfig.Build(realtime.Value, settings, sessionTools), dataChannelId, context.RequestAborted);
        if (answer.CallId is { } callId)
            records.Describe(callId, new CallDescription(RecordOwner.Of(context), "webrtc", realtime.Value.Model, preset, settings.Voice, @continue));
        await lease.KeepAsync(answer.CallId);
        audit.CallStarted(answer.CallId, identity);
        if (answer.CallId is { } id)
            context.Response.Headers.Location = links.GetPathByName(context, HangUpRoute, new { id });
        return Results.Text(answer.Sdp, "application/sdp", Encoding.UTF8, StatusCodes.Status201Created);
    }

    /// <summary>Direct: mints a short-lived secret for the browser's own SDP post to OpenAI.</summary>
    /// <remarks>
    /// The secret's slot is held while the secret can start sessions; <c>slot</c> names it when the page
    /// reports the call it started (<see cref="ReportDirectCall"/>). A slot never reported lapses with the secret.
    /// </remarks>
    private static async Task<IResult> CreateClientSecret(
        HttpContext context, OpenAIRealtimeClient openAI, IOptions<RealtimeOptions> realtime, RealtimeTools tools, IOptions<OpenAIOptions> openAIOptions, SessionRegistry sessions, AuditLog audit,
        RecordsStore kept, string? preset, string? instructions, Guid? @continue)
    {
        if (SessionConfig.Resolve(realtime.Value, preset, instructions).Refused(out var refusal, out var settings))
            return refusal;
        // The secret's session carries the past turns: the page that uses it never sends them.
        if ((await Continuation.AddAsync(settings, @continue, RecordOwner.Of(context), kept, context.RequestAborted)).Refused(out refusal, out settings))
            return refusal;

        var identity = AccessIdentity.Of(context);
        var sessionTools = tools.For(settings.Tools);
        if ((await sessions.ReserveAsync(identity, TimeSpan.FromSeconds(realtime.Value.ClientSecretSeconds), sessionTools)).Refused(out refusal, out var lease))
            return Refused(audit, identity, refusal);
        await using var reserved = lease;
        var secret = await openAI.CreateClientSecretAsync(SessionConfig.ClientSecretRequest(realtime.Value, settings, sessionTools), context.RequestAborted);
        await lease.KeepAsync();
        audit.ClientSecretIssued(identity);
        return Results.Json(new { value = secret.Value, expiresAt = secret.ExpiresAt, callsUrl = openAIOptions.Value.BrowserCallsUrl, slot = lease.Id });
    }

    /// <summary>
    /// Direct: the page names the call OpenAI answered its offer with (the <c>Location</c>'s last segment)
    /// and the slot of the secret it used, so the caps, the maximum length and Disconnect hold as in Relay.
    /// </summary>
    private static async Task<IResult> ReportDirectCall(string id, string? slot, HttpContext context, LinkGenerator links, SessionRegistry sessions, AuditLog audit,
        CallRecorder records, IOptions<RealtimeOptions> realtime)
    {
        if (!OpenAIRealtimeClient.CallIdPattern().IsMatch(id))
            return Refusal.Of(ProblemCode.InvalidCallId);
        var identity = AccessIdentity.Of(context);
        // Before the controller hears anything: the record is the page's user's (in Open mode, its browser's).
        records.Describe(id, new CallDescription(RecordOwner.Of(context), "webrtc", realtime.Value.Model, null, realtime.Value.Voice));
        var outcome = await sessions.TryReportAsync(identity, slot ?? string.Empty, id);
        if (outcome != SessionRegistry.ReportOutcome.Bound)
            records.Forget(id);
        if (outcome == SessionRegistry.ReportOutcome.Bound)
            audit.CallStarted(id, identity);
        return outcome switch
        {
            SessionRegistry.ReportOutcome.Bound => (IResult)Results.Created(links.GetPathByName(context, HangUpRoute, new { id }), null),
            SessionRegistry.ReportOutcome.AlreadyBound => Refusal.Of(ProblemCode.CallAlreadyReported),
            _ => Refusal.Of(ProblemCode.SlotNotFound),
        };
    }

    /// <summary>Only the user who started a call through this server can end it here.</summary>
    private static async Task<IResult> HangUp(string id, HttpContext context, OpenAIRealtimeClient openAI, SessionRegistry sessions, AuditLog audit)
    {
        if (!OpenAIRealtimeClient.CallIdPattern().IsMatch(id))
            return Refusal.Of(ProblemCode.InvalidCallId);
        var identity = AccessIdentity.Of(context);
        if (!await sessions.TryEndAsync(identity, id))
            return Refusal.Of(ProblemCode.CallNotFound);
        // Not tied to the page's request: a closing tab drops its keepalive request early, and the
        // call must still be hung up (the client's own timeout bounds the wait).
        await openAI.HangUpAsync(id, CancellationToken.None);
        audit.CallEnded(id, identity);
        return Results.NoContent();
    }

    /// <summary>
    /// What the page cannot see from its own channel: whether the server's sideband to the call is up (so
    /// it can say "tools unavailable" while it is not), the server's own count of the call's usage and cost,
    /// and whether the budget ran out. Only the call's owner may ask.
    /// </summary>
    /// <remarks>Answered by any instance, not only the one running the call's controller (see <see cref="SessionRegistry.StatusAsync"/>).</remarks>
    private static async Task<IResult> GetCallStatus(string id, HttpContext context, SessionRegistry sessions) =>
        !OpenAIRealtimeClient.CallIdPattern().IsMatch(id) ? Refusal.Of(ProblemCode.InvalidCallId)
        : await sessions.StatusAsync(AccessIdentity.Of(context), id) is { } status ? Results.Json(status)
        : Refusal.Of(ProblemCode.CallNotFound);

    /// <summary>What <see cref="ReportUnansweredToolCall"/> reads: <c>{"itemId":"item_…"}</c> is a few dozen bytes.</summary>
    public const int MaxUnansweredReportBytes = 1024;

    /// <summary>
    /// The page saw one of the model's function calls go unanswered on its WebRTC call (see
    /// <see cref="UnansweredToolCalls"/>): only its item id is taken from the page; what the call is and
    /// its arguments are asked of OpenAI. Only the call's owner may report; any instance may be asked.
    /// </summary>
    private static async Task<IResult> ReportUnansweredToolCall(string id, HttpContext context, SessionRegistry sessions, UnansweredToolCalls unanswered)
    {
        if (!OpenAIRealtimeClient.CallIdPattern().IsMatch(id))
            return Refusal.Of(ProblemCode.InvalidCallId);
        if (context.Request.ContentLength > MaxUnansweredReportBytes)
            return Refusal.Of(ProblemCode.RequestTooLarge, ("maxKiB", MaxUnansweredReportBytes / 1024));
        // A body sent without its length (chunked) is cut off at the cap as it is read.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxUnansweredReportBytes;
        UnansweredReport? report;
        try
        {
            report = await context.Request.ReadFromJsonAsync<UnansweredReport>(context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Refusal.Of(ProblemCode.RequestTooLarge, ("maxKiB", MaxUnansweredReportBytes / 1024));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON, or not sent as JSON.
            report = null;
        }
        if (report?.ItemId is not { } itemId || !ItemIdPattern().IsMatch(itemId))
            return Refusal.Of(ProblemCode.InvalidItemId);
        return await unanswered.ReportAsync(AccessIdentity.Of(context), id, itemId) ? Results.Accepted() : Refusal.Of(ProblemCode.CallNotFound);
    }

    private sealed record UnansweredReport(string? ItemId);

    /// <summary>OpenAI's item ids (<c>item_…</c>) and the ids a page gives its own items.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ItemIdPattern();

    /// <summary>A cap refused the session: the audit log records who was refused and why.</summary>
    private static Refusal Refused(AuditLog audit, string identity, Refusal refusal)
    {
        audit.SessionRefused(identity, Refusal.CodeOf(refusal.Code));
        return refusal;
    }
}
