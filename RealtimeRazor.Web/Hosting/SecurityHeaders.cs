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
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.OnStarting(() =>
            {
                // Scripts and stylesheets are never framed, navigated from or given permissions: on them
                // these would be ~650 bytes a response for nothing (the page loads a dozen modules).
                if (IsSubresource(context.Response.ContentType))
                    return Task.CompletedTask;
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy =
                    $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; "
                    + $"media-src 'self' blob: mediastream:; connect-src {connect}; frame-ancestors 'none'; "
                    + "base-uri 'self'; form-action 'self'; object-src 'none'";
                headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=(), payment=()";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }

    private static bool IsSubresource(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("text/javascript", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("text/css", StringComparison.OrdinalIgnoreCase));
}
