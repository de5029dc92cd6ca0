using System.Net;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>/healthz: the process answers. /readyz: it can start sessions. Neither calls OpenAI or needs a sign-in.</summary>
public sealed class HealthTests
{
    private static Dictionary<string, string?> NoKey(Dictionary<string, string?> settings)
    {
        settings["OpenAI:ApiKey"] = "";
        // Shadows an OPENAI_API_KEY the test machine might have in its environment.
        settings["OPENAI_API_KEY"] = "";
        return settings;
    }

    [Fact]
    public async Task With_a_key_both_answer_200_without_calling_OpenAI()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var live = await app.Client.GetAsync("/healthz");
        using var ready = await app.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task Without_a_key_the_process_is_live_but_not_ready()
    {
        using var app = new TestApp(NoKey(new() { ["Access:Mode"] = "Open" }));

        using var live = await app.Client.GetAsync("/healthz");
        using var ready = await app.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task In_Passcode_mode_both_answer_without_signing_in()
    {
        using var app = new TestApp(Passcodes.Settings());
        using var noKey = new TestApp(NoKey(Passcodes.Settings()));

        using var live = await app.Client.GetAsync("/healthz");
        using var ready = await app.Client.GetAsync("/readyz");
        using var notReady = await noKey.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Empty(app.Fake.Arrivals());
    }

    [Fact]
    public async Task In_ProxyHeader_mode_both_answer_without_the_header()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "ProxyHeader", ["Access:ProxyHeader:TrustedProxies:0"] = "127.0.0.1" });
        using var http = new HttpClient { BaseAddress = app.Factory.StartKestrel() };

        using var live = await http.GetAsync("healthz");
        using var ready = await http.GetAsync("readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}
