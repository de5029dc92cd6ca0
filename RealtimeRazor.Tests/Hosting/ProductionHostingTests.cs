using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>The real process in Production serves the whole page (not just the HTML) and logs JSON lines.</summary>
public sealed class ProductionHostingTests : IDisposable
{
    private readonly string elsewhere = Directory.CreateTempSubdirectory("realtimerazor-cwd-").FullName;

    public void Dispose() => Directory.Delete(elsewhere, recursive: true);

    internal static Dictionary<string, string> Production() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        // Production refuses to start until access is chosen; these tests choose it explicitly.
        ["Access__Mode"] = "Open",
        // ...and, as an open site must, the host names it answers to.
        ["AllowedHosts"] = "127.0.0.1",
        ["OpenAI__ApiKey"] = "sk-test-production-process-key",
        // Never called by these tests; a closed local port makes sure nothing reaches the real API.
        ["OpenAI__BaseUrl"] = "http://127.0.0.1:9/v1",
    };

    private static async Task AssertServesTheCompletePageAsync(AppProcess app)
    {
        var address = await app.AddressAsync(TimeSpan.FromSeconds(90));
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };

        using var response = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("data-negotiation=\"Relay\"", html, StringComparison.Ordinal);
        // With a key the setup notice is not shown (the scripts' string table still names the setting in refusal texts).
        Assert.DoesNotContain("<code>OpenAI__ApiKey</code>", html, StringComparison.Ordinal);

        Assert.NotEmpty(PageAssets.Imports(html, address));
        var fetched = await PageAssets.AssertAllServedAsync(http, address, html);
        Assert.Contains(fetched, url => url.AbsolutePath.StartsWith("/js/main.", StringComparison.Ordinal));
        Assert.Contains(fetched, url => url.AbsolutePath.StartsWith("/js/session.", StringComparison.Ordinal));

        // The request log line for the page is written as the response completes.
        await Await.UntilAsync(() => app.StandardOutput.Any(line => line.Contains("\"RequestPath\":\"/\"", StringComparison.Ordinal)), "the request log line for /");
        AssertJsonLines(app);
    }

    private static void AssertJsonLines(AppProcess app)
    {
        var lines = app.StandardOutput;
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                Assert.True(json.RootElement.TryGetProperty("@t", out _), $"not a log event: {line}");
            }
            catch (JsonException ex)
            {
                Assert.Fail($"stdout line is not JSON ({ex.Message}): {line}");
            }
            Assert.DoesNotContain("sk-test-production-process-key", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_build_output_serves_the_complete_page_in_Production()
    {
        // As `dotnet run` starts it: from the project directory, whose wwwroot the build output serves.
        using var app = AppProcess.Start(BuildOutput.WebDll, Production(), workingDirectory: Path.Combine(Repository.Root, "RealtimeRazor.Web"));

        await AssertServesTheCompletePageAsync(app);
    }

    /// <summary>Slow (a Release publish, about half a minute): the published app, started from another directory.</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Slow_the_published_app_serves_the_complete_page_from_another_working_directory()
    {
        var output = Path.Combine(elsewhere, "publish");
        var cwd = Directory.CreateDirectory(Path.Combine(elsewhere, "cwd")).FullName;
        await AppProcess.PublishAsync("RealtimeRazor.Web", output);

        using var app = AppProcess.Start(Path.Combine(output, "RealtimeRazor.Web.dll"), Production(), workingDirectory: cwd);

        await AssertServesTheCompletePageAsync(app);
    }
}
