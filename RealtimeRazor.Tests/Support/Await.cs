using System.Diagnostics;

namespace RealtimeRazor.Tests.Support;

public static class Await
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(25);
        }
    }
}
