using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime.Tools;

/// <summary>A preset naming a tool that does not exist (or is not enabled) stops startup, naming the key.</summary>
public sealed class PresetToolsValidator(RealtimeTools tools) : IValidateOptions<RealtimeOptions>
{
    public ValidateOptionsResult Validate(string? name, RealtimeOptions options)
    {
        var failures = new List<string>();
        for (var index = 0; index < options.Presets.Count; index++)
        {
            foreach (var tool in options.Presets[index].Tools ?? [])
            {
                if (!tools.Names.Contains(tool))
                    failures.Add($"Realtime:Presets:{index}:Tools names '{tool}', which is not a registered, enabled tool (known: {string.Join(", ", tools.Names)}).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
