using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>
/// The options as the app registers them (binding, data annotations, validator, OPENAI_API_KEY fallback),
/// fed from configuration only: no environment variables of the test machine leak in.
/// </summary>
public sealed class OptionsValidationTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddRealtime();
        return builder.Services.BuildServiceProvider();
    }

    /// <summary>Resolves both option types and returns the message a refused start would print.</summary>
    private static string StartupMessage(string key, string value)
    {
        using var services = Services(new() { [key] = value });
        var ex = Record.Exception(() =>
        {
            _ = services.GetRequiredService<IOptions<OpenAIOptions>>().Value;
            _ = services.GetRequiredService<IOptions<RealtimeOptions>>().Value;
        });
        Assert.NotNull(ex);
        Assert.True(StartupFailure.IsConfigurationError(ex), $"not treated as a configuration error: {ex}");
        return StartupFailure.Describe(ex);
    }

    [Theory]
    [InlineData("Realtime:Voice", "robot")]
    [InlineData("Realtime:Voice", "Marin")]
    [InlineData("Realtime:Voice", "")]
    [InlineData("Realtime:TurnDetection", "push_to_talk")]
    [InlineData("Realtime:TurnDetection", "")]
    [InlineData("Realtime:TurnDetection", "SERVER_VAD")]
    [InlineData("Realtime:Transports", "Carrier pigeon")]
    [InlineData("Realtime:Transports", "WebSocket,WebSocket")]
    [InlineData("Realtime:Transports", "webrtc")]
    [InlineData("Realtime:Transports", "")]
    [InlineData("Realtime:Negotiation", "Sideways")]
    [InlineData("Realtime:Negotiation", "7")]
    [InlineData("Realtime:ClientSecretSeconds", "9")]
    [InlineData("Realtime:ClientSecretSeconds", "7201")]
    [InlineData("Realtime:ClientSecretSeconds", "soon")]
    [InlineData("Realtime:Model", "")]
    [InlineData("Realtime:TranscriptionModel", "")]
    [InlineData("OpenAI:BaseUrl", "notaurl")]
    [InlineData("OpenAI:BaseUrl", "")]
    [InlineData("OpenAI:BaseUrl", "api.openai.com/v1")]
    [InlineData("OpenAI:BaseUrl", "/v1")]
    [InlineData("OpenAI:BaseUrl", "ftp://api.openai.com/v1")]
    [InlineData("OpenAI:BaseUrl", "file:///etc/passwd")]
    [InlineData("OpenAI:TimeoutSeconds", "0")]
    [InlineData("OpenAI:TimeoutSeconds", "121")]
    [InlineData("OpenAI:TimeoutSeconds", "-5")]
    [InlineData("OpenAI:TimeoutSeconds", "twenty")]
    [InlineData("OpenAI:ApiKey", " sk-test-leading-space")]
    [InlineData("OpenAI:ApiKey", "sk-test-trailing-newline\n")]
    [InlineData("OpenAI:ApiKey", "sk-test-trailing-tab\t")]
    // An Azure endpoint needs OpenAI:Provider Azure (its authentication, caps and event filter).
    [InlineData("OpenAI:BaseUrl", "https://example.openai.azure.com/openai/v1/")]
    public void A_bad_value_is_refused_with_a_message_naming_its_key(string key, string value)
    {
        var message = StartupMessage(key, value);

        Assert.Contains(key, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Instructions_longer_than_16000_characters_are_refused()
    {
        Assert.Contains("Realtime:Instructions", StartupMessage("Realtime:Instructions", new string('x', 16_001)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_api_key_is_not_repeated_in_the_message()
    {
        const string key = " sk-test-SECRET-VALUE-0123456789";

        var message = StartupMessage("OpenAI:ApiKey", key);

        Assert.DoesNotContain("SECRET-VALUE", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Realtime:Voice", "cedar")]
    [InlineData("Realtime:Voice", "alloy")]
    [InlineData("Realtime:TurnDetection", "semantic_vad")]
    [InlineData("Realtime:TurnDetection", "none")]
    [InlineData("Realtime:Negotiation", "Direct")]
    [InlineData("Realtime:Negotiation", "direct")]
    [InlineData("Realtime:ClientSecretSeconds", "10")]
    [InlineData("Realtime:ClientSecretSeconds", "7200")]
    [InlineData("OpenAI:BaseUrl", "http://localhost:8080/v1")]
    [InlineData("OpenAI:TimeoutSeconds", "1")]
    [InlineData("OpenAI:TimeoutSeconds", "120")]
    [InlineData("OpenAI:ApiKey", "")]
    public void Edge_values_that_are_allowed_pass(string key, string value)
    {
        using var services = Services(new() { [key] = value });

        _ = services.GetRequiredService<IOptions<OpenAIOptions>>().Value;
        _ = services.GetRequiredService<IOptions<RealtimeOptions>>().Value;
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        using var services = Services([]);

        var openAI = services.GetRequiredService<IOptions<OpenAIOptions>>().Value;
        var realtime = services.GetRequiredService<IOptions<RealtimeOptions>>().Value;

        Assert.Equal(new Uri("https://api.openai.com/v1"), openAI.BaseUrl);
        Assert.Equal(20, openAI.TimeoutSeconds);
        Assert.False(openAI.HasApiKey);
        Assert.Equal("gpt-realtime", realtime.Model);
        Assert.Equal("marin", realtime.Voice);
        Assert.Equal("server_vad", realtime.TurnDetection);
        Assert.Equal(NegotiationMode.Relay, realtime.Negotiation);
        Assert.Equal(60, realtime.ClientSecretSeconds);
    }

    [Fact]
    public void The_shipped_appsettings_are_valid()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false);
        builder.AddRealtime();
        using var services = builder.Services.BuildServiceProvider();

        Assert.Equal("marin", services.GetRequiredService<IOptions<RealtimeOptions>>().Value.Voice);
        Assert.Equal(new Uri("https://api.openai.com/v1"), services.GetRequiredService<IOptions<OpenAIOptions>>().Value.BaseUrl);
    }

    [Fact]
    public void OPENAI_API_KEY_is_used_when_OpenAI_ApiKey_is_unset()
    {
        using var services = Services(new() { ["OPENAI_API_KEY"] = "sk-from-conventional-variable" });

        Assert.Equal("sk-from-conventional-variable", services.GetRequiredService<IOptions<OpenAIOptions>>().Value.ApiKey);
    }

    [Fact]
    public void OPENAI_API_KEY_is_used_when_OpenAI_ApiKey_is_empty()
    {
        using var services = Services(new() { ["OpenAI:ApiKey"] = "", ["OPENAI_API_KEY"] = "sk-from-conventional-variable" });

        Assert.Equal("sk-from-conventional-variable", services.GetRequiredService<IOptions<OpenAIOptions>>().Value.ApiKey);
    }

    [Fact]
    public void OpenAI_ApiKey_wins_over_OPENAI_API_KEY()
    {
        using var services = Services(new() { ["OpenAI:ApiKey"] = "sk-from-section", ["OPENAI_API_KEY"] = "sk-from-conventional-variable" });

        Assert.Equal("sk-from-section", services.GetRequiredService<IOptions<OpenAIOptions>>().Value.ApiKey);
    }

    [Fact]
    public void OPENAI_API_KEY_with_white_space_is_refused_too()
    {
        Assert.Contains("OpenAI:ApiKey", StartupMessage("OPENAI_API_KEY", "sk-test-pasted-with-newline\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Several_bad_values_are_all_named()
    {
        using var services = Services(new() { ["Realtime:Voice"] = "robot", ["Realtime:TurnDetection"] = "push", ["Realtime:ClientSecretSeconds"] = "1" });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RealtimeOptions>>().Value);
        var message = StartupFailure.Describe(ex);

        Assert.Contains("Realtime:Voice", message, StringComparison.Ordinal);
        Assert.Contains("Realtime:TurnDetection", message, StringComparison.Ordinal);
        Assert.Contains("Realtime:ClientSecretSeconds", message, StringComparison.Ordinal);
    }
}
