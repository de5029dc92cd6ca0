using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

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
public sealed class DataProtectionKeysOptionsValidator : IValidateOptions<DataProtectionKeysOptions>
{
    public ValidateOptionsResult Validate(string? name, DataProtectionKeysOptions options) =>
        options.KeysDirectory is { Length: > 0 } directory && directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0
            ? ValidateOptionsResult.Fail("DataProtection:KeysDirectory must be a directory path; it contains a character no path may contain.")
            : ValidateOptionsResult.Success;
}

public static class DataProtectionExtensions
{
    /// <summary>
    /// With <c>DataProtection:KeysDirectory</c> set, sign-in cookies survive restarts and are accepted
    /// by every instance that shares the directory.
    /// </summary>
    public static WebApplicationBuilder AddDataProtectionKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DataProtectionKeysOptions>()
            .BindConfiguration(DataProtectionKeysOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DataProtectionKeysOptions>, DataProtectionKeysOptionsValidator>();
        builder.Services.AddDataProtection().SetApplicationName("RealtimeRazor");
        // What PersistKeysToFileSystem does, with the directory read from the bound options.
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<DataProtectionKeysOptions>, ILoggerFactory>((options, keys, loggers) =>
        {
            if (keys.Value.KeysDirectory is { Length: > 0 } directory)
                options.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(directory), loggers);
        });
        return builder;
    }
}
