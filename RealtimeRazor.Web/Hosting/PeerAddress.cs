using System.Net;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// The address that actually connected, kept before forwarded headers rewrite it (set by
/// <see cref="ReverseProxyExtensions.UseReverseProxySupport"/>): ProxyHeader access believes only proxies.
/// </summary>
public sealed record PeerAddress(IPAddress? Address);
