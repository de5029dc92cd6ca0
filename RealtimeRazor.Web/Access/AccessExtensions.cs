using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;

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
            .PostConfigure(options =>
            {
                options.Mode ??= development ? AccessMode.Open : null;
                if (options.ProxyHeader.TrustedProxies.Count == 0)
                    options.ProxyHeader.TrustedProxies.AddRange(ProxyHeaderOptions.LoopbackProxies);
            })
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
                        context.Response.Redirect(context.RedirectUri);
                        return Task.CompletedTask;
                    }
                    return WriteUnauthorizedAsync(context.HttpContext);
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
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(RealtimePolicy, policy => policy.AddRequirements(new AccessRequirement()));

        builder.Services.AddRateLimiter(options =>
        {
            options.OnRejected = OnRateLimitedAsync;
            options.AddPolicy(SessionsRateLimit, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.RateLimit;
                return RateLimitPartition.GetFixedWindowLimiter(AccessIdentity.Of(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.SessionsPerWindow,
                    Window = TimeSpan.FromSeconds(limits.WindowSeconds),
                    QueueLimit = 0,
                });
            });
            options.AddPolicy(SignInRateLimit, context =>
            {
                // Only a posted passcode is an attempt; showing the form (every redirect lands there) is not.
                if (!HttpMethods.IsPost(context.Request.Method))
                    return RateLimitPartition.GetNoLimiter("form");
                var limits = context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.RateLimit;
                return RateLimitPartition.GetFixedWindowLimiter("ip:" + context.Connection.RemoteIpAddress, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.SignInAttemptsPerWindow,
                    Window = TimeSpan.FromSeconds(limits.WindowSeconds),
                    QueueLimit = 0,
                });
            });
        });
        return builder;
    }

    public static WebApplication UseAccessControl(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    private static async ValueTask OnRateLimitedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        var signIn = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == SignInRateLimit;
        await Refusal.Of(signIn ? ProblemCode.SignInRateLimited : ProblemCode.RateLimited, wait).ExecuteAsync(http);
    }

    internal static Task WriteUnauthorizedAsync(HttpContext context) => Refusal.Of(ProblemCode.Unauthenticated).ExecuteAsync(context);
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
