using System.Globalization;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RealtimeRazor.Web.Hosting;

public static class SerilogSetup
{
    private const string HumanTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>Catches what happens before configuration is read, including a refused start.</summary>
    public static Serilog.ILogger CreateBootstrapLogger() =>
        new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.Console(outputTemplate: HumanTemplate, formatProvider: CultureInfo.InvariantCulture)
            .CreateBootstrapLogger();

    /// <summary>Human-readable console logs in Development, compact JSON elsewhere (log shippers parse it).</summary>
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
                .ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext()
                // A refused configuration is reported once, as one line naming the key (see Program.cs), not as a stack trace.
                .Filter.ByExcluding(e => e.Exception is OptionsValidationException);
            if (development)
                logger.WriteTo.Console(outputTemplate: HumanTemplate, formatProvider: CultureInfo.InvariantCulture);
            else
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
        });
        return builder;
    }
}
