using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>
    /// A StackExchange.Redis connection string (e.g. <c>127.0.0.1:6379,password=...</c>). Set, every
    /// instance that names the same Redis shares session caps, rate limits, call ownership and sign-in
    /// keys; unset, each process keeps them in its own memory (one instance).
    /// </summary>
    public string? Configuration { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Configuration);

    /// <summary>
    /// The parsed connection settings. Commands fail at once while Redis is unreachable instead of
    /// queueing: an instance that cannot reach the shared state refuses new sessions rather than
    /// letting them wait or counting them alone. Startup does not wait for Redis either: the
    /// connection is retried in the background and /readyz says whether it is up.
    /// </summary>
    public ConfigurationOptions Connection()
    {
        var connection = ConfigurationOptions.Parse(Configuration!);
        connection.AbortOnConnectFail = false;
        connection.BacklogPolicy = BacklogPolicy.FailFast;
        connection.ClientName ??= "realtime-razor";
        // Back within about a second of Redis answering again, not after an exponential back-off.
        connection.ReconnectRetryPolicy = new LinearRetry(1000);
        return connection;
    }
}

/// <summary>Checks what binding cannot, naming the configuration key (never its value: it may hold a password).</summary>
public sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        if (!options.Enabled)
            return ValidateOptionsResult.Success;
        try
        {
            return options.Connection().EndPoints.Count == 0
                ? ValidateOptionsResult.Fail("Redis:Configuration names no Redis server: start it with host:port, e.g. 127.0.0.1:6379.")
                : ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"Redis:Configuration is not a StackExchange.Redis connection string: {ex.Message}");
        }
    }
}
