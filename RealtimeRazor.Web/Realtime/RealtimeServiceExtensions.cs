using Azure.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime.Calls;
using RealtimeRazor.Web.Realtime.Tools;

namespace RealtimeRazor.Web.Realtime;

public static class RealtimeServiceExtensions
{
    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OpenAIOptions>()
            .BindConfiguration(OpenAIOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                // The conventional variable each provider's own tooling reads. Azure never falls back to
                // OPENAI_API_KEY: that would send an OpenAI key to Microsoft.
                if (string.IsNullOrEmpty(options.ApiKey))
                    options.ApiKey = configuration[options.Provider == UpstreamProvider.Azure ? "AZURE_OPENAI_API_KEY" : "OPENAI_API_KEY"];
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RealtimeOptions>()
            .BindConfiguration(RealtimeOptions.Section)
            .PostConfigure<IOptions<OpenAIOptions>>((options, openAI) => options.CapSessionLength(openAI.Value))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<OpenAIOptions>, OpenAIOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<RealtimeOptions>, RealtimeOptionsValidator>();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddRealtimeTools();
        builder.Services.AddSingleton<SessionRegistry>();
        builder.Services.AddHostedService<SessionReaper>();
        builder.Services.AddHostedService<UpstreamStartupReport>();

        // Resolved only when Azure is used without a key; tests swap in their own credential.
        builder.Services.TryAddSingleton<TokenCredential>(services => UpstreamAuthentication.AzureCredential(services.GetRequiredService<IOptions<OpenAIOptions>>().Value));
        builder.Services.AddSingleton(services => UpstreamAuthentication.For(services.GetRequiredService<IOptions<OpenAIOptions>>().Value, services));

        builder.Services.AddHttpClient<OpenAIRealtimeClient>((services, http) =>
            {
                http.BaseAddress = services.GetRequiredService<IOptions<OpenAIOptions>>().Value.BaseAddress;
                // OpenAIRealtimeClient applies the configured timeout itself, so it can tell it apart from a client abort.
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.MaxResponseContentBufferSize = 1024 * 1024;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Warm connections to OpenAI are reused; recycled now and then so DNS changes are seen.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            })
            // The factory's own loggers attach the request headers, Authorization included, as event
            // properties at Trace, and their scopes and timers ran on every relayed offer for lines the
            // log configuration drops; OpenAIRealtimeClient logs each call itself, without headers.
            .RemoveAllLoggers();
        return builder;
    }

    /// <summary>
    /// Operators add tools as <see cref="Microsoft.Extensions.AI.AIFunction"/> singletons (see the README);
    /// the built-in ones exist only when enabled. Each call's controller answers them over the sideband.
    /// </summary>
    private static void AddRealtimeTools(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BuiltInToolOptions>()
            .BindConfiguration(BuiltInToolOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BuiltInToolOptions>, BuiltInToolOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<RealtimeOptions>, PresetToolsValidator>();
        builder.Services.AddSingleton<BuiltInTools>();
        builder.Services.AddSingleton<RealtimeTools>();
        builder.Services.AddSingleton<CallControllerContext>();
        builder.Services.AddSingleton<CallControllers>();
        builder.Services.AddSingleton<UnansweredToolCalls>();
    }
}
