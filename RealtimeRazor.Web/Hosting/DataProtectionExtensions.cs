using Microsoft.AspNetCore.DataProtection;

namespace RealtimeRazor.Web.Hosting;

public static class DataProtectionExtensions
{
    /// <summary>
    /// With <c>DataProtection:KeysDirectory</c> set, sign-in cookies survive restarts and are accepted
    /// by every instance that shares the directory.
    /// </summary>
    public static WebApplicationBuilder AddDataProtectionKeys(this WebApplicationBuilder builder)
    {
        var protection = builder.Services.AddDataProtection().SetApplicationName("RealtimeRazor");
        if (builder.Configuration["DataProtection:KeysDirectory"] is { Length: > 0 } directory)
            protection.PersistKeysToFileSystem(new DirectoryInfo(directory));
        return builder;
    }

}
