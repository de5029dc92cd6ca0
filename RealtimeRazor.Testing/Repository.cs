namespace RealtimeRazor.Testing;

/// <summary>The checkout the tests and the benchmark run from: the folder above the build output that holds RealtimeRazor.sln.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RealtimeRazor.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException("Run from inside the repository: RealtimeRazor.sln was not found above " + AppContext.BaseDirectory);
    }
}
