using Microsoft.Playwright;

namespace RealtimeRazor.Tests.Browser.Tracing;

/// <summary>
/// The one way tests open a browser context: it records a Playwright trace (screenshots, DOM snapshots,
/// sources, console and network) from the start, and saves it when closed into the running test's
/// <see cref="TestTraces"/>, which keeps it only if the test fails.
/// </summary>
public sealed class TracedContext : IAsyncDisposable
{
    private readonly TestTraces? _traces;
    private readonly string _name;

    private TracedContext(IBrowserContext context, TestTraces? traces, string name)
    {
        Context = context;
        _traces = traces;
        _name = name;
    }

    public IBrowserContext Context { get; }

    /// <param name="name">Which context this is within the test (e.g. "user", "peer"); part of the trace's file name.</param>
    public static async Task<TracedContext> OpenAsync(IBrowser browser, string name, BrowserNewContextOptions? options = null)
    {
        var context = await browser.NewContextAsync(options);
        var traces = TestTraces.Current;
        if (traces is not null)
            await context.Tracing.StartAsync(new() { Title = $"{traces.Name} ({name})", Screenshots = true, Snapshots = true, Sources = true });
        return new TracedContext(context, traces, name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_traces is not null)
        {
            try
            {
                await Context.Tracing.StopAsync(new() { Path = _traces.NewFile(_name) });
            }
            catch (PlaywrightException ex)
            {
                // A crashed browser cannot hand its trace over; the test's own failure matters more.
                _traces.Problem($"the {_name} context's trace was lost: {ex.Message.Split('\n')[0]}");
            }
        }
        await Context.DisposeAsync();
    }
}
