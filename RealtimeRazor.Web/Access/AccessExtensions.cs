using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Scale;
using RedisRateLimiting;

namespace RealtimeRazor.Web.Access;

public static class AccessExtensions
{
    public const string RealtimePolicy = "Realtime";
    public const string SessionsRateLimit = "sessions";
    public const string SignInRateLimit = "signin";
    public const string PasscodeScheme = CookieAuthenticationDefaults.AuthenticationScheme;

    public static WebApplicationBuilder AddAccessControl(this WebApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<AccessOptions>()
            .BindConfiguration(AccessOptions.Section)
            // Development runs on the developer's own loopback: no ceremony there.
            .PostConfigure(options => options.Mode ??= development ? AccessMode.Open : null)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();

        builder.Services.AddAuthentication()
            .AddCookie(PasscodeScheme, options =>
            {
                options.Cookie.Name = "rr_auth";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.LoginPath = "/signin";
                options.SlidingExpiration = true;
                // API callers get a status they can show, not a redirect to a form.
                options.Events.OnRedirectToLogin = context =>
                {
                    if (!context.Request.Path.StartsWithSegments("/api"))
                    {
                        // Relative: the handler builds an absolute URL from the Host header, which is the client's to choose.
                        context.Response.Redirect(Uri.TryCreate(context.RedirectUri, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : context.RedirectUri);
                        return Task.CompletedTask;
                    }
                    return WriteUnauthorizedAsync(context.HttpContext);
                };
                // The cookie outlives configuration changes: a passcode removed or changed since it was
                // issued ends the sign-in on the next request (page: back to the form; API: 401).
                options.Events.OnValidatePrincipal = async context =>
                {
                    var passcodes = context.HttpContext.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.Passcodes;
                    var user = context.Principal?.Identity?.Name;
                    var stamp = context.Principal?.FindFirst(PasscodeHasher.StampClaim)?.Value;
                    if (user is not null && passcodes.TryGetValue(user, out var hash) && stamp == PasscodeHasher.Stamp(hash))
                        return;
                    context.RejectPrincipal();
                    context.HttpContext.RequestServices.GetRequiredService<AuditLog>().SignInRevoked(user, context.HttpContext.Connection.RemoteIpAddress,
                        user is not null && passcodes.ContainsKey(user) ? "the passcode was changed" : "the passcode was removed");
                    await context.HttpContext.SignOutAsync(PasscodeScheme);
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ProxyHeaderHandler>(ProxyHeaderHandler.SchemeName, options => { });
        builder.Services.AddOptions<AuthenticationOptions>().Configure<IOptions<AccessOptions>>((authentication, access) =>
            authentication.DefaultScheme = access.Value.Mode switch
            {
                AccessMode.Passcode => PasscodeScheme,
                AccessMode.ProxyHeader => ProxyHeaderHandler.SchemeName,
                _ => null,
            });
        builder.Services.AddOptions<CookieAuthenticationOptions>(PasscodeScheme).Configure<IOptions<AccessOptions>>((cookie, access) =>
            cookie.ExpireTimeSpan = TimeSpan.FromDays(access.Value.SignInDays));

        builder.Services.AddSingleton<IAuthorizationHandler, AccessRequirementHandler>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(RealtimePolicy, policy => policy.AddRequirements(new AccessRequirement()));

        // With Redis every instance counts against the same windows (RedisRateLimiting's fixed window,
        // keyed by policy and partition); alone, the framework's in-memory one.
        builder.Services.AddRateLimiter(options =>
        {
            options.OnRejected = OnRateLimitedAsync;
            options.AddPolicy(SessionsRateLimit, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.RateLimit;
                return FixedWindow(context, SessionsRateLimit + ":" + AccessIdentity.Of(context), limits.SessionsPerWindow, limits.WindowSeconds);
            });
            options.AddPolicy(SignInRateLimit, context =>
            {
                // Only a posted passcode is an attempt; showing the form (every redirect lands there) is not.
                if (!HttpMethods.IsPost(context.Request.Method))
                    return RateLimitPartition.GetNoLimiter("form");
                var limits = context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.RateLimit;
                return FixedWindow(context, SignInRateLimit + ":ip:" + context.Connection.RemoteIpAddress, limits.SignInAttemptsPerWindow, limits.WindowSeconds);
            });
        });
        return builder;
    }

    public static WebApplication UseAccessControl(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        // Before the rate limiter: a page elsewhere posting to this site must not use up its visitors' allowance.
        app.Use(RefuseCrossSiteWrites);
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// A page elsewhere must not start sessions (or guess passcodes) with this site's credit and its
    /// visitors' cookies. Browsers send Origin on every cross-origin POST or DELETE, and Sec-Fetch-Site on
    /// every request. Host filtering has already made sure the Host compared with is one of this site's.
    /// </summary>
    private static Task RefuseCrossSiteWrites(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        // A WebSocket handshake is a GET, but it opens a session: browsers apply no CORS to it, so its Origin is checked here.
        var opensSocket = request.Headers.Upgrade.Count > 0;
        if ((!opensSocket && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))) || !IsCrossSite(request))
            return next(context);
        context.RequestServices.GetRequiredService<AuditLog>().RequestRefused(AccessIdentity.Of(context), request.Path, "cross-site request");
        return Refusal.Of(ProblemCode.CrossOrigin).ExecuteAsync(context);
    }

    private static bool IsCrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
            return true;
        var origin = request.Headers.Origin.ToString();
        // The page's own forms send "null" under its Referrer-Policy: no-referrer; Sec-Fetch-Site tells them apart.
        if (origin == "null")
            return site != "same-origin";
        return origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }

    private static RateLimitPartition<string> FixedWindow(HttpContext context, string partition, int permits, int windowSeconds) =>
        context.RequestServices.SharedState() is { } redis
            ? RedisRateLimitPartition.GetFixedWindowRateLimiter(partition, _ => new RedisFixedWindowRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis,
                PermitLimit = permits,
                Window = TimeSpan.FromSeconds(windowSeconds),
            })
            : RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = TimeSpan.FromSeconds(windowSeconds),
                QueueLimit = 0,
            });

    /// <summary>The framework's limiter names the wait as a TimeSpan, RedisRateLimiting's in whole seconds.</summary>
    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait
        : lease.TryGetMetadata(RateLimitMetadataName.RetryAfter, out var seconds) ? TimeSpan.FromSeconds(seconds)
        : TimeSpan.FromMinutes(1);

    private static async ValueTask OnRateLimitedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var wait = RetryAfter(context.Lease);
        var signIn = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == SignInRateLimit;
        var audit = http.RequestServices.GetRequiredService<AuditLog>();
        if (signIn)
            audit.SignInFailed(http.Connection.RemoteIpAddress, "too many sign-in attempts");
        else
            audit.SessionRefused(AccessIdentity.Of(http), "too many new sessions (rate limit)");
        await Refusal.Of(signIn ? ProblemCode.SignInRateLimited : ProblemCode.RateLimited, wait).ExecuteAsync(http);
    }

    internal static Task WriteUnauthorizedAsync(HttpContext context)
    {
        context.RequestServices.GetRequiredService<AuditLog>().RequestRefused(AccessIdentity.Of(context), context.Request.Path, "not signed in");
        return Refusal.Of(ProblemCode.Unauthenticated).ExecuteAsync(context);
    }
}

public sealed class AccessRequirement : IAuthorizationRequirement;

/// <summary>Open mode lets everyone through; the other modes need the mode's identity.</summary>
public sealed class AccessRequirementHandler(IOptions<AccessOptions> access) : AuthorizationHandler<AccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AccessRequirement requirement)
    {
        if (access.Value.Mode == AccessMode.Open || context.User.Identity?.IsAuthenticated == true)
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
