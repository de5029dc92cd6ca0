namespace RealtimeRazor.Web.Hosting;

public static class RequestLimitExtensions
{
    /// <summary>No request here needs more than an SDP offer; anything larger is refused with 413.</summary>
    public static WebApplicationBuilder LimitRequestSizes(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = Realtime.RealtimeEndpoints.MaxOfferBytes);
        return builder;
    }

    /// <summary>
    /// Kestrel enforces its limit only when a body is read: an endpoint that ignores its body (the
    /// client-secret endpoint) would otherwise accept any size, and the sign-in form's antiforgery
    /// check turns the read error into a 400. A body declared too large is refused here, up front.
    /// The SDP endpoint reads (and refuses) its offer itself, in its own words.
    /// </summary>
    public static WebApplication RefuseOversizedBodies(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentLength > Realtime.RealtimeEndpoints.MaxOfferBytes
                && !context.Request.Path.StartsWithSegments(Realtime.RealtimeEndpoints.CallsPath))
            {
                await Refusal.Of(ProblemCode.RequestTooLarge, ("maxKiB", Realtime.RealtimeEndpoints.MaxOfferBytes / 1024)).ExecuteAsync(context);
                return;
            }
            await next(context);
        });
        return app;
    }
}
