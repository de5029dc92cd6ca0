using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;

namespace RealtimeRazor.Web.Records;

/// <summary>
/// Whose conversations a request may see. A signed-in user (or one the proxy names) owns theirs by name.
/// In Open mode nobody is named, and a client address is shared by everyone behind it, so each browser
/// gets its own random identity in a cookie: its history is that browser's (the page says so).
/// </summary>
public static class RecordOwner
{
    public const string BrowserCookie = "rr_browser";

    public static bool IsPerBrowser(HttpContext context) =>
        context.User.Identity?.IsAuthenticated != true
        && context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.Mode == AccessMode.Open;

    /// <summary>The owner for records; in Open mode issues the browser's cookie when it has none.</summary>
    public static string Of(HttpContext context)
    {
        if (!IsPerBrowser(context))
            return AccessIdentity.Of(context);
        var id = context.Request.Cookies[BrowserCookie];
        if (id is not { Length: 22 } || !Base64Url.IsValid(id))
        {
            id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
            context.Response.Cookies.Append(BrowserCookie, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                IsEssential = true,
                MaxAge = TimeSpan.FromDays(400),
            });
        }
        return "browser:" + id;
    }
}
