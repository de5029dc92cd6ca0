using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Localization;
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
    builder.Services.Configure<RequestLocalizationOptions>(options =>
    {
        // Accept-Language picks the language until the switcher sets the culture cookie.
        options.SupportedCultures = [.. UiStrings.Cultures];
        options.SupportedUICultures = [.. UiStrings.Cultures];
        options.SetDefaultCulture("en");
    });

    var app = builder.Build();

    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseSerilogRequestLogging();
    app.UseRequestLocalization();
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
