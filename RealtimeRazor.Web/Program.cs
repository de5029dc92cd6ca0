using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Localization;
using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Records;
using RealtimeRazor.Web.Scale;
using Serilog;

if (PasscodeHasher.TryRunCommand(args))
    return Environment.ExitCode;

Log.Logger = SerilogSetup.CreateBootstrapLogger();
try
{
    var builder = WebApplication.CreateBuilder(StartupDefaults.For(args));

    builder.LocateStaticAssets();
    builder.AddLogging();
    builder.AddReverseProxySupport();
    builder.RestrictHostNames();
    builder.LimitRequestSizes();
    builder.AddSharedState();
    builder.AddDataProtectionKeys();
    builder.AddAccessControl();
    builder.AddRealtime();
    builder.AddRecords();
    builder.AddHealth();
    builder.AddFeaturePages();
    builder.Services.AddProblemDetails();
    builder.AddPageCompression();
    builder.AddUiLocalization();

    var app = builder.Build();

    app.UseReverseProxySupport();
    // A request over Kestrel's size limit is the client's fault (413), not a server error.
    app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError });
    app.UseStatusCodePages();
    app.UseSecurityHeaders();
    // Before anything that can refuse a request: refusals are written in the request's language.
    app.UseRequestLocalization();
    app.RefuseOversizedBodies();
    // The host's own logger (see SerilogSetup); left unset, request logging writes to the static one.
    app.UseSerilogRequestLogging(options => options.Logger = app.Services.GetRequiredService<Serilog.ILogger>());
    app.UseResponseCompression();
    app.UseRouting();
    app.RefuseWhileSharedStateIsDown();
    app.UseWebSockets();
    app.UseAccessControl();

    app.MapHealth();
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
