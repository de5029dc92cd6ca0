namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// The content root defaults to the working directory. A published app started from anywhere else (a
/// service manager, a container WORKDIR) would then find no wwwroot or appsettings.json, and serve its
/// page with empty scripts and styles. When the app runs from a published layout (wwwroot next to the
/// assembly) and no content root was given, the assembly's directory is used instead.
/// </summary>
public static class ContentRoot
{
    public static string? ForPublishedLayout(string[] args)
    {
        var given = Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is not null
            || Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is not null
            || args.Any(arg => arg.Contains("contentRoot", StringComparison.OrdinalIgnoreCase));
        return !given && Directory.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot")) ? AppContext.BaseDirectory : null;
    }
}
