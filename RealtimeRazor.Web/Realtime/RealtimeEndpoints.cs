using System.Buffers;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using RealtimeRazor.Web.Access;

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
                return UpstreamProblem.Problem(StatusCodes.Status400BadRequest, "Invalid data channel id",
                    $"dcid must be a whole number from 0 to {MaxDataChannelId}.", "invalid_dcid");
            }
            dataChannelId = id;
        }

        var offer = await ReadOfferAsync(context.Request);
        if (offer.Problem is { } problem)
            return problem;

        var identity = AccessIdentity.Of(context);
        var slot = sessions.TryReserve(identity, sessions.MaxSessionLength, out var refusal);
        if (slot is null)
            return TooManySessions(audit, identity, refusal);
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
            return UpstreamProblem.ToResult(ex, context);
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
            return TooManySessions(audit, identity, refusal);
        try
        {
            var secret = await openAI.CreateClientSecretAsync(SessionConfig.ClientSecretRequest(realtime.Value, settings!), context.RequestAborted);
            audit.ClientSecretIssued(identity);
            return Results.Json(new { value = secret.Value, expiresAt = secret.ExpiresAt, callsUrl = openAIOptions.Value.CallsUrl, slot = slot.Id });
        }
        catch (UpstreamException ex)
        {
            sessions.Release(slot);
            return UpstreamProblem.ToResult(ex, context);
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
            return InvalidCallId();
        var identity = AccessIdentity.Of(context);
        var outcome = sessions.TryReport(identity, slot ?? string.Empty, id);
        if (outcome == SessionRegistry.ReportOutcome.Bound)
            audit.CallStarted(id, identity);
        return outcome switch
        {
            SessionRegistry.ReportOutcome.Bound => Results.Created(links.GetPathByName(context, HangUpRoute, new { id }), null),
            SessionRegistry.ReportOutcome.AlreadyBound => UpstreamProblem.Problem(StatusCodes.Status409Conflict, "Call already reported",
                "This session already has a call, or that call belongs to another session.", "call_already_reported"),
            _ => UpstreamProblem.Problem(StatusCodes.Status404NotFound, "No such session",
                "You have no open session with that slot; its secret may have expired. Connect again.", "slot_not_found"),
        };
    }

    /// <summary>Only the user who started a call through this server can end it here.</summary>
    private static async Task<IResult> HangUp(string id, HttpContext context, OpenAIRealtimeClient openAI, SessionRegistry sessions, AuditLog audit)
    {
        if (!OpenAIRealtimeClient.CallIdPattern().IsMatch(id))
            return InvalidCallId();
        var identity = AccessIdentity.Of(context);
        if (!sessions.TryEnd(identity, id))
            return UpstreamProblem.Problem(StatusCodes.Status404NotFound, "No such call", "You have no open call with that id.", "call_not_found");
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
            return UpstreamProblem.ToResult(ex, context);
        }
    }

    private sealed record Offer(string? Sdp, IResult? Problem);

    /// <summary>Everything that can be refused is refused here, before OpenAI is called.</summary>
    private static async Task<Offer> ReadOfferAsync(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("application/sdp", StringComparison.OrdinalIgnoreCase))
            return Refuse(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Send the SDP offer as application/sdp.", "unsupported_content_type");
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
            return Refuse(StatusCodes.Status400BadRequest, "Not an SDP offer", "The request body must be a WebRTC SDP offer with an audio section.", "invalid_offer");
        return new Offer(sdp, null);

        static Offer TooLarge() => Refuse(StatusCodes.Status413PayloadTooLarge, "Offer too large", $"An SDP offer may be at most {MaxOfferBytes / 1024} KiB.", "offer_too_large");
        static Offer Refuse(int status, string title, string detail, string code) => new(null, UpstreamProblem.Problem(status, title, detail, code));
    }

    private static IResult InvalidCallId() =>
        UpstreamProblem.Problem(StatusCodes.Status400BadRequest, "Invalid call id", "That is not a call id.", "invalid_call_id");

    private static IResult TooManySessions(AuditLog audit, string identity, string refusal)
    {
        audit.SessionRefused(identity, refusal);
        return UpstreamProblem.Problem(StatusCodes.Status429TooManyRequests, "Too many sessions", refusal, "too_many_sessions");
    }

    private static IResult ModeDisabled(string mode) =>
        UpstreamProblem.Problem(StatusCodes.Status404NotFound, $"{mode} negotiation is not enabled",
            $"This server does not use {mode} negotiation (Realtime:Negotiation).", "negotiation_mode_disabled");

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
            : UpstreamProblem.Problem(StatusCodes.Status503ServiceUnavailable, "The server has no OpenAI API key",
                "The site owner needs to set OpenAI__ApiKey (or OPENAI_API_KEY) and restart the server.", "api_key_missing");
    }
}
