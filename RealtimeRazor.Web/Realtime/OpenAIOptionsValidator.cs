using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Checks what data annotations cannot express, naming the configuration key in each message.</summary>
public sealed class OpenAIOptionsValidator : IValidateOptions<OpenAIOptions>
{
    public ValidateOptionsResult Validate(string? name, OpenAIOptions options)
    {
        // A missing BaseUrl is reported by its [Required] attribute.
        if (options.BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("https" or "http")))
            return ValidateOptionsResult.Fail($"OpenAI:BaseUrl must be an absolute http(s) URL (was '{options.BaseUrl}').");
        // The URL is shown to browsers (Content-Security-Policy, callsUrl) and written to logs; the message
        // does not repeat it either.
        if (options.BaseUrl is { IsAbsoluteUri: true, UserInfo.Length: > 0 })
            return ValidateOptionsResult.Fail("OpenAI:BaseUrl must not contain a user name or password (user:password@): the URL is shown to browsers and logs. The server authenticates with OpenAI:ApiKey.");
        if (options.ApiKey is { } key && key.Trim() != key)
            return ValidateOptionsResult.Fail("OpenAI:ApiKey has leading or trailing white space.");
        return ValidateOptionsResult.Success;
    }
}
