using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Scale;

namespace RealtimeRazor.Web.Hosting;

public sealed class DataProtectionKeysOptions
{
    public const string Section = "DataProtection";

    /// <summary>
    /// Where the cookie-protection keys are kept, so sign-ins survive restarts and are accepted by every
    /// instance that shares the directory. Unset: in memory (or the platform's default location).
    /// </summary>
    public string? KeysDirectory { get; set; }
}

/// <summary>Checks what binding cannot, naming the configuration key in each message.</summary>
public sealed class DataProtectionKeysOptionsValidator(IOptions<RedisOptions> redis) : IValidateOptions<DataProtectionKeysOptions>
{
    public ValidateOptionsResult Validate(string? name, DataProtectionKeysOptions options) => options.KeysDirectory switch
    {
        { Length: > 0 } directory when directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0 =>
            ValidateOptionsResult.Fail("DataProtection:KeysDirectory must be a directory path; it contains a character no path may contain."),
        // One place for the key ring: instances sharing Redis share it there.
        { Length: > 0 } when redis.Value.Enabled =>
            ValidateOptionsResult.Fail("DataProtection:KeysDirectory and Redis:Configuration are both set: with Redis the keys are kept in Redis; remove DataProtection:KeysDirectory."),
        _ => ValidateOptionsResult.Success,
    };
}

public static class DataProtectionExtensions
{
    /// <summary>
    /// With <c>DataProtection:KeysDirectory</c> set, sign-in cookies survive restarts and are accepted
    /// by every instance that shares the directory; with <c>Redis:Configuration</c> set, by every instance
    /// that shares the Redis.
    /// </summary>
    public static WebApplicationBuilder AddDataProtectionKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DataProtectionKeysOptions>()
            .BindConfiguration(DataProtectionKeysOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DataProtectionKeysOptions>, DataProtectionKeysOptionsValidator>();
        builder.Services.AddDataProtection().SetApplicationName("RealtimeRazor");
        // What PersistKeysToFileSystem (or PersistKeysToStackExchangeRedis) does, with the place read from the bound options.
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<DataProtectionKeysOptions>, ILoggerFactory, IServiceProvider>((options, keys, loggers, services) =>
        {
            if (keys.Value.KeysDirectory is { Length: > 0 } directory)
                options.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(directory), loggers);
            else if (services.SharedState() is { } redis)
                options.XmlRepository = ScaleExtensions.DataProtectionKeys(redis);
        });
        return builder;
    }
}
