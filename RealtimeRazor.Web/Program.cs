using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;
using Serilog;

Log.Logger = SerilogSetup.CreateBootstrapLogger();
try
{
    var builder = WebApplication.CreateBuilder(args);

    builder.AddLogging();
    builder.AddRealtime();
    builder.Services.AddRazorPages();
    builder.Services.AddProblemDetails();
    // Only the HTML page is compressed here: static assets are precompressed at build time by
    // MapStaticAssets, and SDP answers are small and sent once. The page carries no secret (no
    // antiforgery token, no key), so compressing it over HTTPS gives BREACH nothing to guess.
    builder.Services.AddResponseCompression(options =>
    {
        options.EnableForHttps = true;
        options.MimeTypes = ["text/html"];
    });

    var app = builder.Build();

    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseSerilogRequestLogging();
    app.UseResponseCompression();
    app.MapStaticAssets();
    app.MapRazorPages().WithStaticAssets();
    app.MapRealtime();

    app.Run();
    return 0;
}
catch (Exception ex) when (StartupFailure.IsConfigurationError(ex))
{
    Log.Fatal("RealtimeRazor cannot start: {Reason}", StartupFailure.Describe(ex));
    return 1;
}
finally
{
    Log.CloseAndFlush();
}

/// <summary>Lets WebApplicationFactory find the entry point.</summary>
public partial class Program;
