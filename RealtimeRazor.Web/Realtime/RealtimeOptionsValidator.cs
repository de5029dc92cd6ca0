using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Checks what data annotations cannot express, naming the configuration key in each message.</summary>
public sealed class RealtimeOptionsValidator : IValidateOptions<RealtimeOptions>, IValidateOptions<OpenAIOptions>
{
    public ValidateOptionsResult Validate(string? name, RealtimeOptions options)
    {
        var failures = new List<string>();
        if (!RealtimeOptions.Voices.Contains(options.Voice))
            failures.Add($"Realtime:Voice must be one of {string.Join(", ", RealtimeOptions.Voices)} (was '{options.Voice}').");
        if (!RealtimeOptions.TurnDetectionModes.Contains(options.TurnDetection))
            failures.Add($"Realtime:TurnDetection must be one of {string.Join(", ", RealtimeOptions.TurnDetectionModes)} (was '{options.TurnDetection}').");
        if (!Enum.IsDefined(options.Negotiation))
            failures.Add("Realtime:Negotiation must be Relay or Direct.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, OpenAIOptions options)
    {
        // A missing BaseUrl is reported by its [Required] attribute.
        if (options.BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("https" or "http")))
            return ValidateOptionsResult.Fail($"OpenAI:BaseUrl must be an absolute http(s) URL (was '{options.BaseUrl}').");
        if (options.ApiKey is { } key && key.Trim() != key)
            return ValidateOptionsResult.Fail("OpenAI:ApiKey has leading or trailing white space.");
        return ValidateOptionsResult.Success;
    }
}
