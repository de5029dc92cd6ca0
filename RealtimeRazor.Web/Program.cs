using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;
using Serilog;

Log.Logger = SerilogSetup.CreateBootstrapLogger();
try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ContentRoot.ForPublishedLayout(args) });

    builder.AddLogging();
    builder.AddRealtime();
    builder.Services.AddRazorPages();
    builder.Services.AddProblemDetails();

    var app = builder.Build();

    app.UseExceptionHandler();
    app.UseStatusCodePages();
    // The host's own logger (see SerilogSetup); left unset, request logging writes to the static one.
    app.UseSerilogRequestLogging(options => options.Logger = app.Services.GetRequiredService<Serilog.ILogger>());
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
