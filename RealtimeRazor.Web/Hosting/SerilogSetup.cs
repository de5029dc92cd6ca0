using System.Globalization;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Settings.Configuration;

namespace RealtimeRazor.Web.Hosting;

public static class SerilogSetup
{
    private static readonly System.Reflection.Assembly[] ConfigurationAssemblies =
    [
        typeof(ConsoleLoggerConfigurationExtensions).Assembly,
        typeof(RenderedCompactJsonFormatter).Assembly,
    ];

    private const string HumanTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// Catches what happens outside the host, including a refused start, in the format the host would use
    /// (the environment is read the way the host reads it: DOTNET_ENVIRONMENT wins over ASPNETCORE_ENVIRONMENT).
    /// </summary>
    public static Serilog.ILogger CreateBootstrapLogger()
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable(StartupDefaults.LaunchEnvironmentVariable);
        var logger = new LoggerConfiguration().MinimumLevel.Information();
        if (string.Equals(environment, Environments.Development, StringComparison.OrdinalIgnoreCase))
            logger.WriteTo.Console(outputTemplate: HumanTemplate, formatProvider: CultureInfo.InvariantCulture);
        else
            logger.WriteTo.Console(new RenderedCompactJsonFormatter());
        return logger.CreateLogger();
    }

    /// <summary>
    /// Human-readable console logs in Development, compact JSON elsewhere (log shippers parse it).
    /// The host's logger is its own (not the static <see cref="Log.Logger"/>), so several hosts can run in
    /// one process, as integration tests do, without freezing or disposing each other's pipelines.
    /// </summary>
    public static WebApplicationBuilder AddLogging(this WebApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddSerilog((services, logger) =>
        {
            logger
                .MinimumLevel.Information()
                // The HTTP client logs every upstream call twice at Information; the request log already has it.
                .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                // EF Core logs every SQL command it runs for the records at Information: noise at the records' rate.
                .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
                // Program reports a refused start in one line naming the key; the host's own report of
                // the same failure would add a stack trace.
                .Filter.ByExcluding(IsHostReportOfConfigurationError)
                // Naming the assemblies that configuration may refer to (sinks, formatters) stops the reader
                // from scanning every DLL next to the app, which loads System.Reflection.Metadata,
                // Collections.Immutable, DependencyModel and every Serilog sink (~2-3 MiB resident) at startup.
                .ReadFrom.Configuration(builder.Configuration, new ConfigurationReaderOptions(ConfigurationAssemblies))
                .ReadFrom.Services(services)
                .Enrich.FromLogContext();
            if (development)
                logger.WriteTo.Console(outputTemplate: HumanTemplate, formatProvider: CultureInfo.InvariantCulture);
            else
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
        }, preserveStaticLogger: true);
        return builder;
    }

    private static bool IsHostReportOfConfigurationError(LogEvent logEvent) =>
        logEvent.Exception is { } exception
        && StartupFailure.IsConfigurationError(exception)
        && logEvent.Properties.TryGetValue("SourceContext", out var source)
        && source is ScalarValue { Value: "Microsoft.Extensions.Hosting.Internal.Host" };
}
