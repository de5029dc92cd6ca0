using System.Net;

namespace RealtimeRazor.Web.Access;

/// <summary>Who is asking: the signed-in user, or the client address when the site is open.</summary>
public static class AccessIdentity
{
    public static string Of(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name }
            ? "user:" + name
            : "ip:" + (context.Connection.RemoteIpAddress ?? IPAddress.None);
}
