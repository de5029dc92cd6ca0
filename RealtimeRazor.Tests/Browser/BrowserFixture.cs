using Microsoft.Playwright;

namespace RealtimeRazor.Tests.Browser;

/// <summary>One Chromium for the browser tests; each test gets its own contexts, app and fake OpenAI.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>
    /// How long a browser test waits for something the page or the fake peer will do. Generous on purpose:
    /// on a loaded 2-core machine a WebRTC setup, a screenshot or a poll can take seconds, and a wait for a
    /// condition costs nothing when the condition comes early. (Playwright's own default is 5 s.)
    /// </summary>
    public const int Patience = 30_000;

    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(Patience);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(Playwright);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
