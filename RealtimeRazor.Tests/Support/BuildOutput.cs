namespace RealtimeRazor.Tests.Support;

/// <summary>Where the build put the web app, next to this test assembly's own build output.</summary>
public static class BuildOutput
{
    /// <summary>RealtimeRazor.Web/bin/{Configuration}/{TargetFramework}/RealtimeRazor.Web.dll, matching this test build.</summary>
    public static string WebDll
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = tfm.Parent!.Name;
            var dll = Path.Combine(Repository.Root, "RealtimeRazor.Web", "bin", configuration, tfm.Name, "RealtimeRazor.Web.dll");
            Assert.True(File.Exists(dll), $"The web app's build output is missing: {dll}");
            return dll;
        }
    }
}
