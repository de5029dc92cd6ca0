using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Realtime;

/// <summary>What every realtime endpoint (or every endpoint of one negotiation mode) checks around its handler.</summary>
public static class RealtimeEndpointFilters
{
    public static async ValueTask<object?> NoStore(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        return await next(context);
    }

    public static async ValueTask<object?> RequireApiKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<OpenAIOptions>>().Value;
        return options.CanAuthenticate
            ? await next(context)
            : Refusal.Of(ProblemCode.ApiKeyMissing);
    }

    /// <summary>The one place an <see cref="UpstreamException"/> becomes the browser's problem details.</summary>
    public static async ValueTask<object?> DescribeUpstreamFailures(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (UpstreamException ex)
        {
            return UpstreamProblem.Describe(ex);
        }
    }

    /// <summary>Endpoints of the other negotiation mode are refused, not hidden, so the page can say why.</summary>
    public static TBuilder RequireMode<TBuilder>(this TBuilder builder, NegotiationMode mode)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<IOptions<RealtimeOptions>>().Value.Negotiation == mode
                ? await next(context)
                : Refusal.Of(ProblemCode.NegotiationModeDisabled, ("mode", mode.ToString())));
}
