using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>With no key the site still serves its page, explains the setup, and spends nothing upstream.</summary>
public sealed partial class MissingApiKeyTests
{
    private static TestApp NoKey(string negotiation = "Relay") => new(new Dictionary<string, string?>
    {
        ["OpenAI:ApiKey"] = "",
        // Shadows an OPENAI_API_KEY the test machine might have in its environment.
        ["OPENAI_API_KEY"] = "",
        ["Realtime:Negotiation"] = negotiation,
    });

    [GeneratedRegex("""<button\b[^>]*\bid="connect"[^>]*>""")]
    private static partial Regex ConnectButton();

    [GeneratedRegex("""\sdisabled(\s|=|>)""")]
    private static partial Regex DisabledAttribute();

    [GeneratedRegex("""<script id="page-data"[^>]*>.*?</script>""", RegexOptions.Singleline)]
    private static partial Regex PageData();

    public static TheoryData<string, string, string> Endpoints => new()
    {
        { "Relay", "POST", "/api/realtime/calls" },
        { "Relay", "DELETE", "/api/realtime/calls/rtc_abc" },
        { "Relay", "POST", "/api/realtime/client-secret" },
        { "Direct", "POST", "/api/realtime/calls" },
        { "Direct", "DELETE", "/api/realtime/calls/rtc_abc" },
        { "Direct", "POST", "/api/realtime/client-secret" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_endpoint_answers_503_api_key_missing(string negotiation, string method, string path)
    {
        using var app = NoKey(negotiation);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(TestData.Offer);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        }

        using var response = await app.Client.SendAsync(request);

        var problem = await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "api_key_missing");
        Assert.Contains("OpenAI__ApiKey", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task The_page_still_renders_explains_the_setup_and_disables_Connect()
    {
        using var app = NoKey();

        using var response = await app.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("OpenAI__ApiKey", html, StringComparison.Ordinal);
        var button = ConnectButton().Match(html).Value;
        Assert.Matches(DisabledAttribute(), button);
        Assert.Contains("data-available=\"false\"", button, StringComparison.Ordinal);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task With_a_key_the_page_has_no_setup_notice_and_Connect_is_offered()
    {
        using var app = new TestApp();

        var html = await app.Client.GetStringAsync("/");

        // The scripts' string table (page data) names the key in the texts of refusals; the page itself must not.
        Assert.DoesNotContain("OpenAI__ApiKey", PageData().Replace(html, ""), StringComparison.Ordinal);
        var button = ConnectButton().Match(html);
        Assert.True(button.Success, "no Connect button");
        // Disabled in the HTML until the script that makes it work has loaded (the browser tests click it).
        Assert.Contains("data-available=\"true\"", button.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_white_space_only_key_counts_as_missing()
    {
        // Refused by validation (leading/trailing white space) rather than served: either way no call goes out.
        using var fake = new FakeOpenAI();
        using var factory = new Infrastructure.AppFactory(fake, new Dictionary<string, string?> { ["OpenAI:ApiKey"] = "   ", ["OPENAI_API_KEY"] = "" });

        var ex = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(ex);
        Assert.Empty(fake.Arrivals());
    }
}
