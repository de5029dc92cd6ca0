using Microsoft.Playwright;
using RealtimeRazor.Tests.Browser.Tracing;
using RealtimeRazor.Tests.Hosting;
using static Microsoft.Playwright.Assertions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Browser;

/// <summary>The README's Production command, in the browser: the page is only usable if its scripts and styles reach Chromium intact.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ProductionBuildTests(BrowserFixture browser)
{
    [Fact]
    public async Task Run_from_its_build_output_in_Production_the_page_loads_its_scripts_and_styles_and_offers_Connect()
    {
        // As `ASPNETCORE_ENVIRONMENT=Production dotnet run --project RealtimeRazor.Web` starts it: the build output, from the project directory.
        using var app = AppProcess.Start(BuildOutput.WebDll, ProductionHostingTests.Production(), workingDirectory: Path.Combine(Repository.Root, "RealtimeRazor.Web"));
        var address = await app.AddressAsync(TimeSpan.FromSeconds(90));
        await using var context = await TracedContext.OpenAsync(browser.Browser, "user", new() { Locale = "en-US" });
        var page = await context.Context.NewPageAsync();
        // Raised on Playwright's own thread.
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Enqueue(message.Text); };
        page.PageError += (_, error) => errors.Enqueue(error);

        await page.GotoAsync(address.ToString());

        try
        {
            // Only the page's module marks the page ready: a module Chromium refused never runs.
            await Expect(page.Locator("html[data-ready='true']")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true })).ToBeEnabledAsync();
        }
        catch (PlaywrightException ex)
        {
            throw new Xunit.Sdk.XunitException($"Connect never became usable. The console said: {string.Join(" | ", errors)}\n{ex.Message}");
        }
        Assert.Empty(errors);
        // An empty stylesheet raises no error, and a style the CSP blocks only a console message: the page's own rules
        // (written into the page, allowed by the response's nonce) must be in force.
        var siteRules = await page.EvaluateAsync<int[]>("() => [...document.styleSheets].filter(s => s.ownerNode instanceof HTMLStyleElement).map(s => s.cssRules.length)");
        Assert.True(siteRules is [> 20], $"The site stylesheet's rules as Chromium sees them: [{string.Join(", ", siteRules)}]");
    }
}
