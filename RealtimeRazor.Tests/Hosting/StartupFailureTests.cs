using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>A bad configuration value stops the real process with one message naming the key.</summary>
public sealed class StartupFailureTests
{
    [Theory]
    [InlineData("Realtime__Voice", "robot", "Realtime:Voice", "Production")]
    [InlineData("Realtime__Voice", "robot", "Realtime:Voice", "Development")]
    [InlineData("Realtime__Negotiation", "Sideways", "Realtime:Negotiation", "Production")]
    [InlineData("OpenAI__BaseUrl", "notaurl", "OpenAI:BaseUrl", "Production")]
    [InlineData("OpenAI__TimeoutSeconds", "0", "OpenAI:TimeoutSeconds", "Production")]
    [InlineData("Realtime__TurnDetection", "push", "Realtime:TurnDetection", "Development")]
    [InlineData("Realtime__MaxSessionMinutes", "0", "Realtime:MaxSessionMinutes", "Development")]
    [InlineData("Access__Unrelated", "x", "Access:Mode", "Production")]
    [InlineData("Access__Mode", "Everyone", "Access:Mode", "Production")]
    [InlineData("Access__Mode", "Passcode", "Access:Passcodes", "Production")]
    [InlineData("Access__Passcodes__alice", "hunter2", "Access:Passcodes:alice", "Development")]
    [InlineData("Access__ProxyHeader__TrustedProxies__0", "the-proxy", "Access:ProxyHeader:TrustedProxies", "Development")]
    [InlineData("Access__Mode", "ProxyHeader", "Access:ProxyHeader:TrustedProxies", "Development")]
    [InlineData("Access__Mode", "Open", "AllowedHosts", "Production")]
    [InlineData("ReverseProxy__PathBase", "//evil.example", "ReverseProxy:PathBase", "Development")]
    // Several instances (Redis) cannot share the default records store, one SQLite file.
    [InlineData("Redis__Configuration", "127.0.0.1:9", "Records:Provider is Sqlite, but Redis:Configuration is set", "Development")]
    public async Task A_bad_value_stops_startup_naming_the_key(string variable, string value, string key, string environment)
    {
        using var app = AppProcess.Start(BuildOutput.WebDll, new Dictionary<string, string>
        {
            [variable] = value,
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["OpenAI__ApiKey"] = "sk-test-process-key",
        });

        Assert.True(await app.ExitedWithinAsync(TimeSpan.FromSeconds(90)), $"still running after 90 s:\n{app.Output}");

        Assert.NotEqual(0, app.ExitCode);
        Assert.Contains(key, app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-test-process-key", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_in_the_OpenAI_base_url_stop_startup_without_being_repeated()
    {
        using var app = AppProcess.Start(BuildOutput.WebDll, new Dictionary<string, string>
        {
            ["OpenAI__BaseUrl"] = "https://gateway-user:gateway-password-1234@gateway.example/v1",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["OpenAI__ApiKey"] = "sk-test-process-key",
        });

        Assert.True(await app.ExitedWithinAsync(TimeSpan.FromSeconds(90)), $"still running after 90 s:\n{app.Output}");

        Assert.NotEqual(0, app.ExitCode);
        Assert.Contains("OpenAI:BaseUrl must not contain a user name or password", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("gateway-password-1234", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_Production_the_refusal_is_a_JSON_log_line()
    {
        using var app = AppProcess.Start(BuildOutput.WebDll, new Dictionary<string, string>
        {
            ["Realtime__Voice"] = "robot",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        });

        Assert.True(await app.ExitedWithinAsync(TimeSpan.FromSeconds(90)), $"still running after 90 s:\n{app.Output}");

        var fatal = Assert.Single(app.StandardOutput, line => line.Contains("Realtime:Voice", StringComparison.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(fatal);
        Assert.Equal("Fatal", json.RootElement.GetProperty("@l").GetString());
    }
}
