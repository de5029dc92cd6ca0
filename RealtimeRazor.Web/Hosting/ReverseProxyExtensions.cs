using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Hosting;

public sealed class ReverseProxyOptions
{
    public const string Section = "ReverseProxy";

    /// <summary>Networks whose X-Forwarded-* headers are believed (CIDR). Loopback is always trusted.</summary>
    public List<string> KnownIPNetworks { get; set; } = [];

    /// <summary>Single proxy addresses whose X-Forwarded-* headers are believed.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>A fixed sub-path such as <c>/voice</c>, for proxies that cannot send X-Forwarded-Prefix.</summary>
    public string? PathBase { get; set; }

    /// <summary>How many proxies in a row may append to X-Forwarded-For.</summary>
    public int ForwardLimit { get; set; } = 1;
}

/// <summary>Checks what binding cannot, naming the configuration key in each message.</summary>
public sealed class ReverseProxyOptionsValidator : IValidateOptions<ReverseProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ReverseProxyOptions options)
    {
        var failures = new List<string>();
        if (options.PathBase is { Length: > 0 } pathBase && !ReverseProxyExtensions.IsPlainPathPrefix(pathBase.TrimEnd('/')))
            failures.Add($"ReverseProxy:PathBase must be a path of plain segments such as /voice (was '{pathBase}').");
        foreach (var network in options.KnownIPNetworks.Where(network => !System.Net.IPNetwork.TryParse(network, out _)))
            failures.Add($"ReverseProxy:KnownIPNetworks has '{network}', which is not a network such as 10.0.0.0/8.");
        foreach (var address in options.KnownProxies.Where(address => !IPAddress.TryParse(address, out _)))
            failures.Add($"ReverseProxy:KnownProxies has '{address}', which is not an IP address.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

public static partial class ReverseProxyExtensions
{
    /// <summary>
    /// A path prefix goes into every URL the app writes (<c>&lt;base href&gt;</c>, scripts, redirects): only
    /// plain segments, never <c>//host</c>, <c>..</c>, a scheme or an escape.
    /// </summary>
    [GeneratedRegex("^(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*$")]
    private static partial Regex PlainPathPrefix();

    internal static bool IsPlainPathPrefix(string path) => PlainPathPrefix().IsMatch(path);

    public static WebApplicationBuilder AddReverseProxySupport(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReverseProxyOptions>()
            .BindConfiguration(ReverseProxyOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ReverseProxyOptions>, ReverseProxyOptionsValidator>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ReverseProxyOptions>>((options, proxyOptions) =>
        {
            var proxy = proxyOptions.Value;
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedPrefix;
            options.ForwardLimit = proxy.ForwardLimit;
            foreach (var network in proxy.KnownIPNetworks)
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            foreach (var address in proxy.KnownProxies)
                options.KnownProxies.Add(IPAddress.Parse(address));
        });
        return builder;
    }

    /// <summary>Runs first, so that scheme, client address and path base are right for everything after.</summary>
    public static WebApplication UseReverseProxySupport(this WebApplication app)
    {
        // The address that really connected, before X-Forwarded-For replaces it: ProxyHeader access trusts only proxies.
        app.Use((context, next) =>
        {
            context.Features.Set(new PeerAddress(context.Connection.RemoteIpAddress));
            return next(context);
        });
        app.UseForwardedHeaders();
        app.Use((context, next) => PlainPathPrefix().IsMatch(context.Request.PathBase.Value ?? "")
            ? next(context)
            : Refusal.Of(ProblemCode.InvalidPathPrefix).ExecuteAsync(context));
        // Every cookie (sign-in, antiforgery, language) is Secure when the request was https, as the
        // browser saw it: behind a TLS-terminating proxy that is X-Forwarded-Proto, applied just above.
        app.UseCookiePolicy(new CookiePolicyOptions { Secure = CookieSecurePolicy.SameAsRequest });
        if (app.Services.GetRequiredService<IOptions<ReverseProxyOptions>>().Value.PathBase is { Length: > 0 } pathBase)
            app.UsePathBase(pathBase.TrimEnd('/'));
        return app;
    }
}
