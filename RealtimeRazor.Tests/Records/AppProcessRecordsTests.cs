using RealtimeRazor.Tests.Hosting;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Records;

/// <summary>
/// An app the tests (or the benchmark) run as a process keeps its records in a temp directory of its own,
/// never under its content root (for `dotnet run`-style starts that is the source folder), and the
/// directory goes when the process does.
/// </summary>
public sealed class AppProcessRecordsTests : IDisposable
{
    private readonly string contentRoot = Directory.CreateTempSubdirectory("rr-content-root-").FullName;

    public void Dispose() => Directory.Delete(contentRoot, recursive: true);

    [Fact]
    public async Task A_process_run_app_writes_its_records_to_its_own_temp_directory_and_removes_it_when_disposed()
    {
        string records;
        using (var app = AppProcess.Start(BuildOutput.WebDll, ProductionHostingTests.Production(), workingDirectory: contentRoot))
        {
            await app.AddressAsync(TimeSpan.FromSeconds(90));
            records = app.RecordsDirectory;
            // The schema is migrated as the app starts: the file is there before the first call.
            await Await.UntilAsync(() => File.Exists(Path.Combine(records, "records.db")), "the records file in the app's own directory");
            Assert.False(Directory.Exists(Path.Combine(contentRoot, "data")), "The app made a records directory under its content root");
        }

        Assert.False(Directory.Exists(records), "The app's records directory outlived it");
    }
}
