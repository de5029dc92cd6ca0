using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace RealtimeRazor.Web.Realtime;

public static class RealtimeEndpoints
{
    public const int MaxOfferBytes = 64 * 1024;
    private const string HangUpRoute = "HangUpCall";

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/realtime")
            .AddEndpointFilter(NoStore)
            .AddEndpointFilter(RequireApiKey);

        api.MapPost("/calls", CreateCall);
        api.MapDelete("/calls/{id}", HangUp).WithName(HangUpRoute);
        api.MapPost("/client-secret", CreateClientSecret);
        return app;
    }

    /// <summary>Relay: forwards the browser's offer with the server key and returns OpenAI's answer.</summary>
    private static async Task<IResult> CreateCall(
        HttpContext context, OpenAIRealtimeClient openAI, IOptions<RealtimeOptions> realtime, LinkGenerator links, string? preset, string? instructions)
    {
        if (realtime.Value.Negotiation != NegotiationMode.Relay)
            return ModeDisabled("Relay");
        var (settings, refused) = SessionConfig.Resolve(realtime.Value, preset, instructions);
        if (refused is not null)
            return refused;

        var offer = await ReadOfferAsync(context.Request);
        if (offer.Problem is { } problem)
            return problem;

        try
        {
            var answer = await openAI.CreateCallAsync(offer.Sdp!, SessionConfig.Build(realtime.Value, settings!), context.RequestAborted);
            if (answer.CallId is { } id)
                context.Response.Headers.Location = links.GetPathByName(context, HangUpRoute, new { id });
            return Results.Text(answer.Sdp, "application/sdp", Encoding.UTF8, StatusCodes.Status201Created);
        }
        catch (UpstreamException ex)
        {
            return UpstreamProblem.ToResult(ex, context);
        }
    }

    /// <summary>Direct: mints a short-lived secret for the browser's own SDP post to OpenAI.</summary>
    private static async Task<IResult> CreateClientSecret(
        HttpContext context, OpenAIRealtimeClient openAI, IOptions<RealtimeOptions> realtime, IOptions<OpenAIOptions> openAIOptions, string? preset, string? instructions)
    {
        if (realtime.Value.Negotiation != NegotiationMode.Direct)
            return ModeDisabled("Direct");
        var (settings, refused) = SessionConfig.Resolve(realtime.Value, preset, instructions);
        if (refused is not null)
            return refused;
        try
        {
            var secret = await openAI.CreateClientSecretAsync(SessionConfig.ClientSecretRequest(realtime.Value, settings!), context.RequestAborted);
            return Results.Json(new { value = secret.Value, expiresAt = secret.ExpiresAt, callsUrl = openAIOptions.Value.CallsUrl });
        }
        catch (UpstreamException ex)
        {
            return UpstreamProblem.ToResult(ex, context);
        }
    }

    private static async Task<IResult> HangUp(string id, HttpContext context, OpenAIRealtimeClient openAI)
    {
        if (!OpenAIRealtimeClient.CallIdPattern().IsMatch(id))
            return UpstreamProblem.Problem(StatusCodes.Status400BadRequest, "Invalid call id", "That is not a call id.", "invalid_call_id");
        try
        {
            await openAI.HangUpAsync(id, context.RequestAborted);
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

        var buffer = new byte[MaxOfferBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(total), request.HttpContext.RequestAborted)) > 0)
            total += read;
        if (total > MaxOfferBytes)
            return TooLarge();

        var sdp = Encoding.UTF8.GetString(buffer, 0, total);
        if (!sdp.StartsWith("v=0", StringComparison.Ordinal) || !sdp.Contains("m=audio", StringComparison.Ordinal))
            return Refuse(StatusCodes.Status400BadRequest, "Not an SDP offer", "The request body must be a WebRTC SDP offer with an audio section.", "invalid_offer");
        return new Offer(sdp, null);

        static Offer TooLarge() => Refuse(StatusCodes.Status413PayloadTooLarge, "Offer too large", $"An SDP offer may be at most {MaxOfferBytes / 1024} KiB.", "offer_too_large");
        static Offer Refuse(int status, string title, string detail, string code) => new(null, UpstreamProblem.Problem(status, title, detail, code));
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
