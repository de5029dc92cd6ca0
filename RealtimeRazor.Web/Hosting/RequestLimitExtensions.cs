namespace RealtimeRazor.Web.Hosting;

public static class RequestLimitExtensions
{
    /// <summary>No request here needs more than an SDP offer; anything larger is refused with 413.</summary>
    public static WebApplicationBuilder LimitRequestSizes(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = Realtime.RealtimeEndpoints.MaxOfferBytes);
        return builder;
    }
}
