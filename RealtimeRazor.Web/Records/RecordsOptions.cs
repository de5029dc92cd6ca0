using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Records;

public enum RecordsProvider
{
    /// <summary>A file under <see cref="RecordsOptions.DataDirectory"/>: nothing to install or run.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server named by <c>ConnectionStrings:Records</c>, for several instances or larger sites.</summary>
    PostgreSQL,
}

/// <summary>Conversations kept: where, for how long, and how much may wait in memory for the database.</summary>
public sealed class RecordsOptions
{
    public const string Section = "Records";
    public const string ConnectionStringName = "Records";

    public bool Enabled { get; set; } = true;

    public RecordsProvider Provider { get; set; } = RecordsProvider.Sqlite;

    /// <summary>Where the SQLite file is made (relative paths are under the app's content root).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Conversations older than this are deleted by the retention sweep.</summary>
    public int RetainDays { get; set; } = 30;

    /// <summary>
    /// Events waiting for the database. While it is down the queue fills; once full, newer events are
    /// dropped (counted on /readyz and logged) so memory stays bounded.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary><c>ConnectionStrings:Records</c>, or for SQLite a file under <see cref="DataDirectory"/>.</summary>
    public string ConnectionString { get; set; } = "";
}

/// <summary>Checks what binding cannot, naming the configuration key in each message.</summary>
/// <param name="configuration">Read for <c>Redis:Configuration</c>: several instances cannot share one SQLite file.</param>
public sealed class RecordsOptionsValidator(IConfiguration configuration) : IValidateOptions<RecordsOptions>
{
    public ValidateOptionsResult Validate(string? name, RecordsOptions options)
    {
        if (!options.Enabled)
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        if (options.RetainDays is < 1 or > 36_500)
            failures.Add("Records:RetainDays must be a number of days from 1 to 36500.");
        if (options.QueueCapacity is < 100 or > 1_000_000)
            failures.Add("Records:QueueCapacity must be from 100 to 1000000.");
        if (options.Provider == RecordsProvider.Sqlite && (options.DataDirectory.Length == 0 || options.DataDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
            failures.Add("Records:DataDirectory must be a directory path.");
        if (options.Provider == RecordsProvider.Sqlite && !string.IsNullOrWhiteSpace(configuration["Redis:Configuration"]))
            failures.Add("Records:Provider is Sqlite, but Redis:Configuration is set for several instances, which cannot share one SQLite file: " +
                         "set Records:Provider to PostgreSQL (and ConnectionStrings:Records), or Records:Enabled to false.");
        if (options.Provider == RecordsProvider.PostgreSQL && options.ConnectionString.Length == 0)
            failures.Add("ConnectionStrings:Records must name the PostgreSQL database when Records:Provider is PostgreSQL.");
        if (options.ConnectionString.Length > 0 && !IsConnectionString(options))
            failures.Add($"ConnectionStrings:Records is not a valid {options.Provider} connection string.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsConnectionString(RecordsOptions options)
    {
        try
        {
            _ = options.Provider == RecordsProvider.Sqlite
                ? new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.ConnectionString).DataSource
                : new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString).Host;
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
