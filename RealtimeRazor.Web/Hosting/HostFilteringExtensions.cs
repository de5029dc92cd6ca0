using Microsoft.AspNetCore.HostFiltering;
using RealtimeRazor.Web.Access;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// Which host names the site answers to (ASP.NET Core's <c>AllowedHosts</c>; other hosts get 400 before
/// anything else runs). Against DNS rebinding: a page on attacker.example that re-points its own name at
/// this server is same-origin with itself, so only the Host it sends gives it away.
/// </summary>
public static class HostFilteringExtensions
{
    /// <summary>Outside Development an open site must set it: see <see cref="AccessOptionsValidator"/>.</summary>
    public const string Key = "AllowedHosts";

    /// <summary>What Development answers to unless <c>AllowedHosts</c> says otherwise: the developer's own machine.</summary>
    public static readonly IReadOnlyList<string> LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    public static WebApplicationBuilder RestrictHostNames(this WebApplicationBuilder builder)
    {
        // The web host's defaults turn an unset AllowedHosts into "*"; this runs after them.
        if (builder.Environment.IsDevelopment() && string.IsNullOrWhiteSpace(builder.Configuration[Key]))
            builder.Services.PostConfigure<HostFilteringOptions>(options => options.AllowedHosts = [.. LoopbackHosts]);
        return builder;
    }
}
