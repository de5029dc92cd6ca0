using System.Net;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

public sealed class IndexPageTests
{
    /// <summary>The pages moved into their features' folders; their addresses did not move, and no new ones appeared.</summary>
    [Theory]
    [InlineData("/", HttpStatusCode.OK)]
    [InlineData("/Index", HttpStatusCode.OK)]
    [InlineData("/signin", HttpStatusCode.OK, true)]
    [InlineData("/Realtime", HttpStatusCode.NotFound)]
    [InlineData("/Realtime/Index", HttpStatusCode.NotFound)]
    [InlineData("/Access/SignIn", HttpStatusCode.NotFound, true)]
    [InlineData("/Localization/Language", HttpStatusCode.NotFound)]
    [InlineData("/Pages/Index", HttpStatusCode.NotFound)]
    public async Task Pages_answer_at_the_addresses_they_always_had(string path, HttpStatusCode expected, bool passcodes = false)
    {
        // Open mode lets anyone see the voice page; the sign-in page exists only in Passcode mode.
        using var app = new TestApp(passcodes ? Access.Passcodes.Settings() : null);

        using var response = await app.Client.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("Relay")]
    [InlineData("Direct")]
    public async Task The_page_carries_the_configured_negotiation(string negotiation)
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Realtime:Negotiation"] = negotiation });

        using var response = await app.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"data-negotiation=\"{negotiation}\"", html, StringComparison.Ordinal);
        Assert.Contains("data-calls-url=\"/api/realtime/calls\"", html, StringComparison.Ordinal);
        Assert.Contains("data-client-secret-url=\"/api/realtime/client-secret\"", html, StringComparison.Ordinal);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Theory]
    [InlineData(null, "Relay", "https://api.openai.com/v1", "true")]
    [InlineData(null, "Direct", "https://api.openai.com/v1", "false")]
    [InlineData(null, "Relay", "https://example-resource.openai.azure.com/openai/v1", "false")]
    [InlineData("true", "Relay", "https://example-resource.openai.azure.com/openai/v1", "true")]
    [InlineData("true", "Direct", "https://api.openai.com/v1", "true")]
    [InlineData("false", "Relay", "https://api.openai.com/v1", "false")]
    public async Task The_pre_negotiated_data_channel_is_on_by_default_only_for_Relay_calls_to_OpenAI_itself(string? setting, string mode, string baseUrl, string expected)
    {
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Realtime:PreNegotiatedDataChannel"] = setting,
            ["Realtime:Negotiation"] = mode,
            ["OpenAI:BaseUrl"] = baseUrl,
            ["OpenAI:Provider"] = baseUrl.Contains(".openai.azure.com", StringComparison.Ordinal) ? "Azure" : "OpenAI",
        });

        var html = await app.Client.GetStringAsync("/");

        Assert.Contains($"data-pre-negotiated-channel=\"{expected}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_never_contains_the_key()
    {
        using var app = new TestApp();

        var html = await app.Client.GetStringAsync("/");

        Assert.DoesNotContain(FakeOpenAI.ApiKey, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_script_the_page_references_is_served_and_its_stylesheet_is_in_the_page()
    {
        using var app = new TestApp();
        var page = new Uri(app.Client.BaseAddress!, "/");

        var html = await app.Client.GetStringAsync(page);
        var fetched = await PageAssets.AssertAllServedAsync(app.Client, page, html);

        Assert.Contains(fetched, url => url.AbsolutePath.StartsWith("/js/main", StringComparison.Ordinal));
        Assert.Contains(fetched, url => url.AbsolutePath.StartsWith("/js/session", StringComparison.Ordinal));
    }
}
