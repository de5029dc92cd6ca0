using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// Headers that keep the page from being framed, sniffed or made to run script it did not ship.
/// The only inline script element is the import map, allowed by a per-request nonce.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "csp-nonce";

    public static string Nonce(HttpContext context) => (string)context.Items[NonceKey]!;

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
            app.UseHsts();

        var realtime = app.Services.GetRequiredService<IOptions<RealtimeOptions>>().Value;
        var openAI = app.Services.GetRequiredService<IOptions<OpenAIOptions>>().Value;
        // Direct mode is the only one in which the page itself talks to OpenAI over HTTP.
        var connect = realtime.Negotiation == NegotiationMode.Direct
            ? $"'self' {openAI.BaseUrl.GetLeftPart(UriPartial.Authority)}"
            : "'self'";

        app.Use((context, next) =>
        {
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            context.Items[NonceKey] = nonce;
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy =
                $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
                + $"media-src 'self' blob: mediastream:; connect-src {connect}; frame-ancestors 'none'; "
                + "base-uri 'self'; form-action 'self'; object-src 'none'";
            headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=(), payment=()";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return next(context);
        });
        return app;
    }
}
