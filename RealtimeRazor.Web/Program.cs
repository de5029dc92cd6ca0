using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;
using Serilog;

if (PasscodeHasher.TryRunCommand(args))
    return Environment.ExitCode;

Log.Logger = SerilogSetup.CreateBootstrapLogger();
try
{
    var builder = WebApplication.CreateBuilder(args);

    builder.AddLogging();
    builder.AddReverseProxySupport();
    builder.LimitRequestSizes();
    builder.AddDataProtectionKeys();
    builder.AddAccessControl();
    builder.AddRealtime();
    builder.AddHealth();
    builder.Services.AddRazorPages();
    builder.Services.AddProblemDetails();

    var app = builder.Build();

    app.UseReverseProxySupport();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseSecurityHeaders();
    app.UseSerilogRequestLogging();
    app.UseRouting();
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
