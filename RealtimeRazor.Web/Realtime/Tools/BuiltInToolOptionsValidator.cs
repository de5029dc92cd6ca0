using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime.Tools;

public sealed class BuiltInToolOptionsValidator : IValidateOptions<BuiltInToolOptions>
{
    public ValidateOptionsResult Validate(string? name, BuiltInToolOptions options)
    {
        var failures = new List<string>();
        const string key = BuiltInToolOptions.Section;
        if (options.Clock.Enabled && !TimeZoneInfo.TryFindSystemTimeZoneById(options.Clock.TimeZone, out _))
            failures.Add($"{key}:Clock:TimeZone must be a time zone id such as Europe/Berlin (was '{options.Clock.TimeZone}').");
        if (options.EndCall.GraceSeconds is < 0 or > 60)
            failures.Add($"{key}:EndCall:GraceSeconds must be between 0 and 60.");
        if (options.Documents.Enabled && (string.IsNullOrWhiteSpace(options.Documents.Folder) || !Directory.Exists(options.Documents.Folder)))
            failures.Add($"{key}:Documents:Folder must name an existing folder of Markdown files when the documents tool is enabled.");
        if (options.Documents.MaxResults is < 1 or > 20)
            failures.Add($"{key}:Documents:MaxResults must be between 1 and 20.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
