using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Checks what data annotations cannot express, naming the configuration key in each message.</summary>
public sealed class OpenAIOptionsValidator : IValidateOptions<OpenAIOptions>
{
    /// <summary>Azure's GA Realtime interface lives under this path on the resource (or custom domain).</summary>
    public const string AzurePath = "/openai/v1";

    public ValidateOptionsResult Validate(string? name, OpenAIOptions options)
    {
        if (!Enum.IsDefined(options.Provider))
            return ValidateOptionsResult.Fail("OpenAI:Provider must be OpenAI or Azure.");
        // A missing BaseUrl is reported by its [Required] attribute.
        if (options.BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("https" or "http")))
            return ValidateOptionsResult.Fail($"OpenAI:BaseUrl must be an absolute http(s) URL (was '{options.BaseUrl}').");
        // The URL is shown to browsers (Content-Security-Policy, callsUrl) and written to logs; the message
        // does not repeat it either.
        if (options.BaseUrl is { IsAbsoluteUri: true, UserInfo.Length: > 0 })
            return ValidateOptionsResult.Fail("OpenAI:BaseUrl must not contain a user name or password (user:password@): the URL is shown to browsers and logs. The server authenticates with OpenAI:ApiKey.");
        if (options.ApiKey is { } key && key.Trim() != key)
            return ValidateOptionsResult.Fail("OpenAI:ApiKey has leading or trailing white space.");
        return options.Provider == UpstreamProvider.Azure ? ValidateAzure(options) : ValidateOpenAI(options);
    }

    private static ValidateOptionsResult ValidateOpenAI(OpenAIOptions options)
    {
        // An Azure endpoint with OpenAI's authentication fails at the first call with a confusing 401.
        if (options.BaseUrl is { IsAbsoluteUri: true } url && url.Host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase))
            return ValidateOptionsResult.Fail("OpenAI:BaseUrl is an Azure OpenAI endpoint: set OpenAI:Provider to Azure.");
        if (!string.IsNullOrEmpty(options.ManagedIdentityClientId))
            return ValidateOptionsResult.Fail("OpenAI:ManagedIdentityClientId is only used with OpenAI:Provider Azure.");
        return ValidateOptionsResult.Success;
    }

    private static ValidateOptionsResult ValidateAzure(OpenAIOptions options)
    {
        if (options.BaseUrl is { IsAbsoluteUri: true } url)
        {
            // The GA interface takes no api-version; the preview one (which needs it) has other paths and events.
            if (url.Query.Length > 0)
                return ValidateOptionsResult.Fail("OpenAI:BaseUrl must have no query string with OpenAI:Provider Azure (the GA interface takes no api-version): use https://{resource}.openai.azure.com/openai/v1.");
            if (!string.Equals(url.AbsolutePath.TrimEnd('/'), AzurePath, StringComparison.Ordinal))
                return ValidateOptionsResult.Fail($"OpenAI:BaseUrl must end in {AzurePath} with OpenAI:Provider Azure: https://{{resource}}.openai.azure.com{AzurePath} (or your custom domain){AzurePath}.");
            if (url.Scheme != "https" && !url.IsLoopback)
                return ValidateOptionsResult.Fail("OpenAI:BaseUrl must use https with OpenAI:Provider Azure.");
        }
        if (!string.IsNullOrEmpty(options.ManagedIdentityClientId) && options.HasApiKey)
            return ValidateOptionsResult.Fail("OpenAI:ManagedIdentityClientId and OpenAI:ApiKey are both set: use the key or Microsoft Entra ID, not both.");
        if (options.ManagedIdentityClientId is { Length: > 0 } clientId && !Guid.TryParse(clientId, out _))
            return ValidateOptionsResult.Fail("OpenAI:ManagedIdentityClientId must be the managed identity's client id (a GUID).");
        return ValidateOptionsResult.Success;
    }
}
