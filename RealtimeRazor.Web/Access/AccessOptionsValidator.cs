using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Access;

/// <summary>Each message names the configuration key to fix.</summary>
public sealed class AccessOptionsValidator(IHostEnvironment environment, IOptions<HostFilteringOptions> hosts) : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var failures = new List<string>();
        if (options.Mode is null)
        {
            failures.Add($"Access:Mode must be set in the {environment.EnvironmentName} environment. Choose Passcode or ProxyHeader, "
                + "or Open if anyone who can reach this site may spend your OpenAI credit.");
        }
        else if (!Enum.IsDefined(options.Mode.Value))
        {
            failures.Add("Access:Mode must be Open, Passcode or ProxyHeader.");
        }
        // With Passcode or ProxyHeader access a page that re-points its own name at this server (DNS
        // rebinding) has no credentials for it; with Open access it needs none, so only named hosts may be served.
        if (options.Mode == AccessMode.Open && !environment.IsDevelopment() && hosts.Value.AllowedHosts.Any(host => host.Trim() == "*"))
        {
            failures.Add($"{HostFilteringExtensions.Key} must list the host names this site is reached by, separated by ';' (e.g. voice.example.com), "
                + "when Access:Mode is Open: with '*' any web page can reach it through DNS rebinding and start sessions on your OpenAI key.");
        }
        if (options.Mode == AccessMode.Passcode && options.Passcodes.Count == 0)
            failures.Add("Access:Passcodes must hold at least one passcode hash when Access:Mode is Passcode (make one with: RealtimeRazor.Web hash-passcode).");
        foreach (var (user, hash) in options.Passcodes)
        {
            if (!PasscodeHasher.IsWellFormed(hash))
                failures.Add($"Access:Passcodes:{user} is not a passcode hash (make one with: RealtimeRazor.Web hash-passcode).");
        }
        if (options.Mode == AccessMode.ProxyHeader && options.ProxyHeader.TrustedProxies.Count == 0)
        {
            failures.Add("Access:ProxyHeader:TrustedProxies must list the authenticating proxy's address (e.g. 127.0.0.1) when Access:Mode is ProxyHeader. "
                + "Only a proxy that sets the user header itself, removing any the client sent, may be listed.");
        }
        if (string.IsNullOrWhiteSpace(options.ProxyHeader.HeaderName))
            failures.Add("Access:ProxyHeader:HeaderName must name a header.");
        foreach (var entry in options.ProxyHeader.TrustedProxies)
        {
            if (!IPNetwork.TryParse(entry, out _) && !IPAddress.TryParse(entry, out _))
                failures.Add($"Access:ProxyHeader:TrustedProxies has '{entry}', which is neither an IP address nor a network (e.g. 10.0.0.0/8).");
        }
        foreach (var (budget, key) in new[] { (options.Budget.PerUserDailyUsd, "Access:Budget:PerUserDailyUsd"), (options.Budget.TotalDailyUsd, "Access:Budget:TotalDailyUsd") })
        {
            if (budget <= 0)
                failures.Add($"{key} must be more than 0 US dollars (was {budget}); leave it unset for no daily cap.");
        }
        Positive(options.MaxSessionsPerUser, "Access:MaxSessionsPerUser");
        Positive(options.MaxSessions, "Access:MaxSessions");
        Positive(options.SignInDays, "Access:SignInDays");
        Positive(options.RateLimit.SessionsPerWindow, "Access:RateLimit:SessionsPerWindow");
        Positive(options.RateLimit.WindowSeconds, "Access:RateLimit:WindowSeconds");
        Positive(options.RateLimit.SignInAttemptsPerWindow, "Access:RateLimit:SignInAttemptsPerWindow");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(int value, string key)
        {
            if (value < 1)
                failures.Add($"{key} must be at least 1 (was {value}).");
        }
    }
}
