namespace RealtimeRazor.Web.Hosting;

/// <summary>Defaults for where the app finds its files and which environment it runs in.</summary>
public static class StartupDefaults
{
    /// <summary>Set by the dotnet-run launch profile; see <see cref="EnvironmentName"/>.</summary>
    public const string LaunchEnvironmentVariable = "REALTIMERAZOR_LAUNCH_ENVIRONMENT";

    public static WebApplicationOptions For(string[] args) => new()
    {
        Args = args,
        ContentRootPath = ContentRootPath(args),
        EnvironmentName = EnvironmentName(args),
    };

    /// <summary>
    /// MapStaticAssets serves what the build's endpoint manifest lists, including the compressed variant of
    /// each script and stylesheet, which a build writes under obj/ and only the static web assets manifest
    /// locates. ASP.NET Core reads that manifest in Development only: run from its build output in any other
    /// environment (`dotnet run -c Release` in Production), the app answered every browser, which asks for
    /// gzip, with an empty 200 and no Content-Type, and the page's module never ran. Read it in every
    /// environment. A published app has no such manifest (its wwwroot holds every file), so there this does nothing.
    /// </summary>
    public static WebApplicationBuilder LocateStaticAssets(this WebApplicationBuilder builder)
    {
        // Development has read it already; a second read would only stack the same file providers again.
        if (!builder.Environment.IsDevelopment())
            builder.WebHost.UseStaticWebAssets();
        return builder;
    }

    /// <summary>
    /// The content root defaults to the working directory. A published app started from anywhere else (a
    /// service manager, a container WORKDIR) would then find no wwwroot or appsettings.json, and serve its
    /// page with empty scripts and styles. When the app runs from a published layout (wwwroot next to the
    /// assembly) and no content root was given, the assembly's directory is used instead.
    /// </summary>
    private static string? ContentRootPath(string[] args)
    {
        var given = Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is not null
            || Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is not null
            || args.Any(arg => arg.Contains("contentRoot", StringComparison.OrdinalIgnoreCase));
        return !given && Directory.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot")) ? AppContext.BaseDirectory : null;
    }

    /// <summary>
    /// `dotnet run` should start in Development, yet `ASPNETCORE_ENVIRONMENT=Production dotnet run` must run
    /// Production. A launch profile's variables override the caller's, so the profile only proposes a
    /// default, taken when the caller chose no environment.
    /// </summary>
    private static string? EnvironmentName(string[] args)
    {
        var chosen = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is not null
            || Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is not null
            || args.Any(arg => arg.Contains("environment", StringComparison.OrdinalIgnoreCase));
        return chosen ? null : Environment.GetEnvironmentVariable(LaunchEnvironmentVariable);
    }
}
