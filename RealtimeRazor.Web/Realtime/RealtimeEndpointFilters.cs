using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
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

    /// <summary>A user (or the site) whose daily budget is spent starts nothing more today; checked before OpenAI is asked.</summary>
    public static TBuilder RequireBudget<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var services = context.HttpContext.RequestServices;
            var identity = AccessIdentity.Of(context.HttpContext);
            if (services.GetRequiredService<SpendingLedger>().Check(identity) is not { } spent)
                return await next(context);
            services.GetRequiredService<AuditLog>().SessionRefused(identity, Refusal.CodeOf(spent.Code));
            return spent;
        });

    /// <summary>Endpoints of the other negotiation mode are refused, not hidden, so the page can say why.</summary>
    public static TBuilder RequireMode<TBuilder>(this TBuilder builder, NegotiationMode mode)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<IOptions<RealtimeOptions>>().Value.Negotiation == mode
                ? await next(context)
                : Refusal.Of(ProblemCode.NegotiationModeDisabled, ("mode", mode.ToString())));
}
