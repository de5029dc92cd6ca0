using System.Globalization;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Scale;

/// <summary>
/// Today's spending in Redis, shared by every instance and kept across restarts. Per UTC day, under
/// <see cref="ScaleExtensions.KeyPrefix"/>: <c>spent:{day}:total</c> and <c>spent:{day}:user:{identity}</c>,
/// integers in nano-dollars (exact sums, no floating point), expiring a day after their day ends.
/// With no budget configured nothing is counted or read: the ledger exists only for the budgets.
/// </summary>
public sealed partial class RedisSpendingLedger(IConnectionMultiplexer redis, TimeProvider clock, IOptions<AccessOptions> access, ILogger<RedisSpendingLedger> logger)
    : ISpendingLedger
{
    private const decimal NanosPerDollar = 1_000_000_000m;

    // KEYS: user, total. ARGV: nanodollars, expire at (ms). Returns { user, total }.
    private const string AddScript = """
        local user = redis.call('INCRBY', KEYS[1], ARGV[1])
        local total = redis.call('INCRBY', KEYS[2], ARGV[1])
        redis.call('PEXPIREAT', KEYS[1], ARGV[2])
        redis.call('PEXPIREAT', KEYS[2], ARGV[2])
        return { user, total }
        """;

    private IDatabase Database => redis.GetDatabase();

    public bool Add(string identity, decimal usd)
    {
        var budget = access.Value.Budget;
        if (!Budgets.AnySet(budget))
            return false;
        var now = clock.GetUtcNow();
        try
        {
            // Synchronous: the call's controller counts each reply in order, on its receive loop (one round trip per reply).
            var spent = (RedisValue[])Database.ScriptEvaluate(AddScript, Keys(identity, now),
                [(long)decimal.Round(Math.Max(usd, 0m) * NanosPerDollar), Budgets.ResetsAt(now).AddDays(1).ToUnixTimeMilliseconds()])!;
            return Budgets.IsSpent(budget, Dollars(spent[0]), Dollars(spent[1]));
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // The call goes on (Redis being down never ends a live call); new sessions are refused meanwhile.
            LogNotCounted(logger, ex.GetType().Name);
            return false;
        }
    }

    public async Task<Refusal?> CheckAsync(string identity)
    {
        var budget = access.Value.Budget;
        if (!Budgets.AnySet(budget))
            return null;
        var now = clock.GetUtcNow();
        var spent = await Database.StringGetAsync(Keys(identity, now));
        return Budgets.Check(budget, Dollars(spent[0]), Dollars(spent[1]), now);
    }

    private static RedisKey[] Keys(string identity, DateTimeOffset now)
    {
        var day = ScaleExtensions.KeyPrefix + "spent:" + now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ":";
        return [day + "user:" + identity, day + "total"];
    }

    private static decimal Dollars(RedisValue nanos) => nanos.IsNull ? 0m : (long)nanos / NanosPerDollar;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A reply's cost could not be counted against the budgets: Redis cannot be reached ({Failure})")]
    private static partial void LogNotCounted(ILogger logger, string failure);
}
