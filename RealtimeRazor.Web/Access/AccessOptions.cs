namespace RealtimeRazor.Web.Access;

public enum AccessMode
{
    /// <summary>Anyone who reaches the site may start sessions.</summary>
    Open,

    /// <summary>A shared passcode (or several named ones) exchanged for a sign-in cookie.</summary>
    Passcode,

    /// <summary>An authenticating proxy in front (e.g. oauth2-proxy) names the user in a header.</summary>
    ProxyHeader,
}

public sealed class AccessOptions
{
    public const string Section = "Access";

    /// <summary>Unset means: Open in Development, refuse to start elsewhere.</summary>
    public AccessMode? Mode { get; set; }

    /// <summary>Name → PBKDF2 hash (see <see cref="PasscodeHasher"/>). The name becomes the user's identity.</summary>
    public Dictionary<string, string> Passcodes { get; set; } = [];

    public ProxyHeaderOptions ProxyHeader { get; set; } = new();

    public RateLimitOptions RateLimit { get; set; } = new();

    public BudgetOptions Budget { get; set; } = new();

    // The two session caps are per identity, so they are configured here with the rest of access
    // control; Realtime/SessionRegistry enforces them when a session slot is reserved.

    /// <summary>Sessions one user (or anonymous client address) may hold at once.</summary>
    public int MaxSessionsPerUser { get; set; } = 2;

    /// <summary>Sessions the whole site may hold at once.</summary>
    public int MaxSessions { get; set; } = 20;

    /// <summary>
    /// User names (passcode names, or names the proxy sends) who may see everyone's usage at /admin/usage.
    /// Open mode names nobody, so there it has no admins.
    /// </summary>
    public List<string> Admins { get; set; } = [];

    /// <summary>How long a sign-in cookie lasts.</summary>
    public int SignInDays { get; set; } = 14;
}

public sealed class ProxyHeaderOptions
{
    public string HeaderName { get; set; } = "X-Forwarded-User";

    /// <summary>
    /// Addresses or CIDR networks whose header is believed; anyone else's is ignored. Required in
    /// ProxyHeader mode, with no default: loopback is also where a plain reverse proxy (or anything else on
    /// the machine) connects from, and such a proxy passes on whatever header the client sent.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];
}

public sealed class RateLimitOptions
{
    /// <summary>New sessions per user (or client address) per window.</summary>
    public int SessionsPerWindow { get; set; } = 10;

    public int WindowSeconds { get; set; } = 60;

    /// <summary>Sign-in attempts per client address per window; slows passcode guessing.</summary>
    public int SignInAttemptsPerWindow { get; set; } = 5;
}
