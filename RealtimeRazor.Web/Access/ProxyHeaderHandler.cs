using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Access;

/// <summary>
/// Believes the user-name header only from a trusted proxy address: anyone else could set it too.
/// </summary>
public sealed class ProxyHeaderHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<AccessOptions> access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ProxyHeader";

    private readonly IReadOnlyList<IPNetwork> _trusted = access.Value.ProxyHeader.TrustedProxies.Select(ParseNetwork).ToList();

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = access.Value.ProxyHeader.HeaderName;
        if (!Request.Headers.TryGetValue(header, out var values) || values.ToString() is not { Length: > 0 and <= 256 } user)
            return Task.FromResult(AuthenticateResult.NoResult());
        var peer = Context.Features.Get<PeerAddress>()?.Address ?? Context.Connection.RemoteIpAddress;
        if (peer is null || !_trusted.Any(network => network.Contains(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer)))
            return Task.FromResult(AuthenticateResult.Fail($"{header} came from an untrusted address"));
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AccessExtensions.WriteUnauthorizedAsync(Context);

    private static IPNetwork ParseNetwork(string entry) =>
        IPNetwork.TryParse(entry, out var network) ? network : new IPNetwork(IPAddress.Parse(entry), IPAddress.Parse(entry).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
}
