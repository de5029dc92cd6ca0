using System.Diagnostics;

namespace RealtimeRazor.Testing;

/// <summary>The one polling helper: for what a test or the benchmark cannot be told about, only see.</summary>
public static class Await
{
    /// <summary>Polls <paramref name="condition"/> until it holds; throws naming <paramref name="what"/> after <paramref name="timeout"/> (10 s).</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <inheritdoc cref="UntilAsync(Func{bool}, string, TimeSpan?)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(25);
        }
    }
}
