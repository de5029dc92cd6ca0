using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Scale;

/// <summary>A bad Redis setting stops the real process with one line naming the key, never its value.</summary>
public sealed class RedisConfigurationTests
{
    [Theory]
    [InlineData("127.0.0.1:6379,password=hunter2-secret,bogusOption=1", "Redis:Configuration")]
    [InlineData("password=hunter2-secret", "Redis:Configuration names no Redis server")]
    public async Task A_bad_connection_string_stops_startup_naming_the_key(string value, string expected)
    {
        using var app = AppProcess.Start(BuildOutput.WebDll, new Dictionary<string, string>
        {
            ["Redis__Configuration"] = value,
            ["Records__Enabled"] = "false",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["OpenAI__ApiKey"] = "sk-test-process-key",
        });

        Assert.True(await app.ExitedWithinAsync(TimeSpan.FromSeconds(90)), $"still running after 90 s:\n{app.Output}");

        Assert.NotEqual(0, app.ExitCode);
        Assert.Contains(expected, app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keys_directory_beside_Redis_stops_startup_naming_both_keys()
    {
        using var app = AppProcess.Start(BuildOutput.WebDll, new Dictionary<string, string>
        {
            ["Redis__Configuration"] = "127.0.0.1:9",
            ["DataProtection__KeysDirectory"] = Path.GetTempPath(),
            ["Records__Enabled"] = "false",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["OpenAI__ApiKey"] = "sk-test-process-key",
        });

        Assert.True(await app.ExitedWithinAsync(TimeSpan.FromSeconds(90)), $"still running after 90 s:\n{app.Output}");

        Assert.NotEqual(0, app.ExitCode);
        Assert.Contains("DataProtection:KeysDirectory and Redis:Configuration are both set", app.Output, StringComparison.Ordinal);
    }
}
