using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Records;

public static class RecordsExtensions
{
    /// <summary>
    /// Conversations kept (Records:*): written from each call's sideband by <see cref="CallRecorder"/> and
    /// <see cref="RecordWriter"/>, read by the History pages, swept after Records:RetainDays. The schema
    /// is migrated at startup, each provider from its own migration set (Records/Migrations/*).
    /// </summary>
    public static WebApplicationBuilder AddRecords(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RecordsOptions>()
            .BindConfiguration(RecordsOptions.Section)
            .PostConfigure<IConfiguration, IHostEnvironment>((options, configuration, environment) =>
            {
                options.ConnectionString = configuration.GetConnectionString(RecordsOptions.ConnectionStringName) ?? "";
                if (options.ConnectionString.Length == 0 && options.Provider == RecordsProvider.Sqlite && options.DataDirectory.IndexOfAny(Path.GetInvalidPathChars()) < 0)
                    options.ConnectionString = $"Data Source={Path.Combine(environment.ContentRootPath, options.DataDirectory, "records.db")}";
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RecordsOptions>, RecordsOptionsValidator>();

        builder.Services.AddDbContext<SqliteRecordsDbContext>((services, db) =>
            db.UseSqlite(services.GetRequiredService<IOptions<RecordsOptions>>().Value.ConnectionString));
        builder.Services.AddDbContext<PostgresRecordsDbContext>((services, db) =>
            db.UseNpgsql(services.GetRequiredService<IOptions<RecordsOptions>>().Value.ConnectionString));
        builder.Services.AddScoped<RecordsDbContext>(services =>
            services.GetRequiredService<IOptions<RecordsOptions>>().Value.Provider == RecordsProvider.PostgreSQL
                ? services.GetRequiredService<PostgresRecordsDbContext>()
                : services.GetRequiredService<SqliteRecordsDbContext>());
        builder.Services.AddScoped<RecordsStore>();

        builder.Services.AddSingleton<RecordsHealth>();
        builder.Services.AddSingleton<CallRecorder>();
        builder.Services.AddHostedService<RecordWriter>();
        builder.Services.AddSingleton<RetentionSweep>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RetentionSweep>());
        builder.Services.AddHealthChecks().AddCheck<RecordsHealthCheck>("records", tags: [HealthExtensions.ReadyTag]);
        return builder;
    }
}
