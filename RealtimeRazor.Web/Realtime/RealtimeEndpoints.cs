using System.Buffers;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Realtime;

public static class RealtimeEndpoints
{
    public const int MaxOfferBytes = 64 * 1024;

    /// <summary>SCTP stream ids: 65535 is reserved.</summary>
    private const int MaxDataChannelId = 65534;
    private const string HangUpRoute = "HangUpCall";

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/realtime")
            .RequireAuthorization(AccessExtensions.RealtimePolicy)
            .AddEndpointFilter(NoStore)
            .AddEndpointFilter(RequireApiKey);

        api.MapPost("/calls", CreateCall).RequireRateLimiting(AccessExtensions.SessionsRateLimit);
        api.MapDelete("/calls/{id}", HangUp).WithName(HangUpRoute);
        api.MapPut("/calls/{id}", ReportDirectCall);
        api.MapPost("/client-secret", CreateClientSecret).RequireRateLimiting(AccessExtensions.SessionsRateLimit);
        return app;
    }

    /// <summary>Relay: forwards the browser's offer with the server key and returns OpenAI's answer.</summary>
    private static async Task<IResult> CreateCall(
        HttpContext context, OpenAIRealtimeClient openAI, IOptions<RealtimeOptions> realtime, LinkGenerator links, SessionRegistry sessions, AuditLog audit,
        string? preset, string? instructions, string? dcid)
    {
        if (realtime.Value.Negotiation != NegotiationMode.Relay)
            return ModeDisabled("Relay");
        var (settings, refused) = SessionConfig.Resolve(realtime.Value, preset, instructions);
        if (refused is not null)
            return refused;
        int? dataChannelId = null;
        if (dcid is not null)
        {
            if (!int.TryParse(dcid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id > MaxDataChannelId)
            {
                return Refusal.Of(ProblemCode.InvalidDcid, ("maxDataChannelId", MaxDataChannelId));
            }
            dataChannelId = id;
        }

        var offer = await ReadOfferAsync(context.Request);
        if (offer.Problem is { } problem)
            return problem;

        var identity = AccessIdentity.Of(context);
        var slot = sessions.TryReserve(identity, sessions.MaxSessionLength, out var refusal);
        if (slot is null)
            return TooManySessions(audit, identity, refusal!);
        try
        {
            var answer = await openAI.CreateCallAsync(offer.Sdp!, SessionConfig.Build(realtime.Value, settings!), dataChannelId, context.RequestAborted);
            audit.CallStarted(answer.CallId, identity);
            if (answer.CallId is { } id)
            {
                sessions.Attach(slot, id);
                context.Response.Headers.Location = links.GetPathByName(context, HangUpRoute, new { id });
            }
            return Results.Text(answer.Sdp, "application/sdp", Encoding.UTF8, StatusCodes.Status201Created);
        }
        catch (UpstreamException ex)
        {
            sessions.Release(slot);
            return UpstreamProblem.Describe(ex);
        }
        catch
        {
            sessions.Release(slot);
            throw;
        }
    }

    /// <summary>Direct: mints a short-lived secret for the browser's own SDP post to OpenAI.</summary>
    /// <remarks>
    /// The secret's slot is held while the secret can start sessions; <c>slot</c> names it when the page
    /// reports the call it started (<see cref="ReportDirectCall"/>). A slot never reported lapses with the secret.
    /// </remarks>
    private static async Task<IResult> CreateClientSecret(
        HttpContext context, OpenAIRealtimeClient openAI, IOptions<RealtimeOptions> realtime, IOptions<OpenAIOptions> openAIOptions, SessionRegistry sessions, AuditLog audit,
        string? preset, string? instructions)
    {
        if (realtime.Value.Negotiation != NegotiationMode.Direct)
            return ModeDisabled("Direct");
        var (settings, refused) = SessionConfig.Resolve(realtime.Value, preset, instructions);
        if (refused is not null)
            return refused;
        var identity = AccessIdentity.Of(context);
        var slot = sessions.TryReserve(identity, TimeSpan.FromSeconds(realtime.Value.ClientSecretSeconds), out var refusal);
        if (slot is null)
            return TooManySessions(audit, identity, refusal!);
        try
        {
            var secret = await openAI.CreateClientSecretAsync(SessionConfig.ClientSecretRequest(realtime.Value, settings!), context.RequestAborted);
            audit.ClientSecretIssued(identity);
            return Results.Json(new { value = secret.Value, expiresAt = secret.ExpiresAt, callsUrl = openAIOptions.Value.CallsUrl, slot = slot.Id });
        }
        catch (UpstreamException ex)
        {
            sessions.Release(slot);
            return UpstreamProblem.Describe(ex);
        }
    }

    /// <summary>
    /// Direct: the page names the call OpenAI answered its offer with (the <c>Location</c>'s last segment)
    /// and the slot of the secret it used, so the caps, the maximum length and Disconnect hold as in Relay.
    /// </summary>
    private static IResult ReportDirectCall(string id, string? slot, HttpContext context, IOptions<RealtimeOptions> realtime, LinkGenerator links, SessionRegistry sessions, AuditLog audit)
    {
        if (realtime.Value.Negotiation != NegotiationMode.Direct)
            return ModeDisabled("Direct");
        if (!OpenAIRealtimeClient.CallIdPattern().IsMatch(id))
            return Refusal.Of(ProblemCode.InvalidCallId);
        var identity = AccessIdentity.Of(context);
        var outcome = sessions.TryReport(identity, slot ?? string.Empty, id);
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
        if (!sessions.TryEnd(identity, id))
            return Refusal.Of(ProblemCode.CallNotFound);
        try
        {
            // Not tied to the page's request: a closing tab drops its keepalive request early, and the
            // call must still be hung up (the client's own timeout bounds the wait).
            await openAI.HangUpAsync(id, CancellationToken.None);
            audit.CallEnded(id, identity);
            return Results.NoContent();
        }
        catch (UpstreamException ex)
        {
            return UpstreamProblem.Describe(ex);
        }
    }

    private sealed record Offer(string? Sdp, IResult? Problem);

    /// <summary>Everything that can be refused is refused here, before OpenAI is called.</summary>
    private static async Task<Offer> ReadOfferAsync(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("application/sdp", StringComparison.OrdinalIgnoreCase))
            return Refuse(Refusal.Of(ProblemCode.UnsupportedContentType));
        if (request.ContentLength > MaxOfferBytes)
            return TooLarge();

        // Pooled: a fresh 64 KiB array per offer was most of what the relay allocated, and under load each
        // gen0 collection it forced paused every request (the GC is non-concurrent). One byte past the
        // limit tells an oversized body without a Content-Length apart from one that fits exactly.
        var buffer = ArrayPool<byte>.Shared.Rent(MaxOfferBytes + 1);
        string sdp;
        try
        {
            var total = 0;
            int read;
            while (total <= MaxOfferBytes && (read = await request.Body.ReadAsync(buffer.AsMemory(total, MaxOfferBytes + 1 - total), request.HttpContext.RequestAborted)) > 0)
                total += read;
            if (total > MaxOfferBytes)
                return TooLarge();
            sdp = Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own request limit (see RequestLimitExtensions) stopped a chunked body first.
            return TooLarge();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!sdp.StartsWith("v=0", StringComparison.Ordinal) || !sdp.Contains("m=audio", StringComparison.Ordinal))
            return Refuse(Refusal.Of(ProblemCode.InvalidOffer));
        return new Offer(sdp, null);

        static Offer TooLarge() => Refuse(Refusal.Of(ProblemCode.OfferTooLarge, ("maxKiB", MaxOfferBytes / 1024)));
        static Offer Refuse(Refusal refusal) => new(null, refusal);
    }

    private static Refusal TooManySessions(AuditLog audit, string identity, Refusal refusal)
    {
        audit.SessionRefused(identity, Refusal.CodeOf(refusal.Code));
        return refusal;
    }

    private static Refusal ModeDisabled(string mode) => Refusal.Of(ProblemCode.NegotiationModeDisabled, ("mode", mode));

    private static async ValueTask<object?> NoStore(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        return await next(context);
    }

    private static async ValueTask<object?> RequireApiKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<OpenAIOptions>>().Value;
        return options.HasApiKey
            ? await next(context)
            : Refusal.Of(ProblemCode.ApiKeyMissing);
    }
}
