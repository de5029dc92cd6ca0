using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Checks what data annotations cannot express, naming the configuration key in each message.</summary>
public sealed partial class RealtimeOptionsValidator : IValidateOptions<RealtimeOptions>
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
        var transports = options.TransportList;
        if (transports.Count == 0 || transports.Any(name => name is not (RealtimeOptions.WebRtc or RealtimeOptions.WebSocket)) || transports.Distinct().Count() != transports.Count)
            failures.Add($"Realtime:Transports must list WebRTC and/or WebSocket, comma-separated, each once (was '{options.Transports}').");
        ValidatePresets(options, failures);
        ValidateMcpServers(options, failures);
        if (!string.IsNullOrEmpty(options.PriceModel) && !options.Prices.ContainsKey(options.PriceModel))
            failures.Add($"Realtime:PriceModel '{options.PriceModel}' has no price in Realtime:Prices (known: {string.Join(", ", options.Prices.Keys)}).");
        foreach (var (model, price) in options.Prices)
        {
            foreach (var (field, value) in new[] { ("AudioInput", price.AudioInput), ("AudioOutput", price.AudioOutput), ("TextInput", price.TextInput), ("TextOutput", price.TextOutput), ("CachedInput", price.CachedInput) })
            {
                if (value < 0)
                    failures.Add($"Realtime:Prices:{model}:{field} must not be negative (was {value}).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidatePresets(RealtimeOptions options, List<string> failures)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var index = 0; index < options.Presets.Count; index++)
        {
            var preset = options.Presets[index];
            var key = $"Realtime:Presets:{index}";
            if (!PresetName().IsMatch(preset.Name))
                failures.Add($"{key}:Name must be 1-64 letters, digits, '-', '_' or '.' (was '{preset.Name}').");
            else if (!seen.Add(preset.Name))
                failures.Add($"{key}:Name '{preset.Name}' is used by more than one preset; names must be unique.");
            if (preset.Voice is { } voice && !RealtimeOptions.Voices.Contains(voice))
                failures.Add($"{key}:Voice must be one of {string.Join(", ", RealtimeOptions.Voices)} (was '{voice}').");
            if (preset.TurnDetection is { } mode && !RealtimeOptions.TurnDetectionModes.Contains(mode))
                failures.Add($"{key}:TurnDetection must be one of {string.Join(", ", RealtimeOptions.TurnDetectionModes)} (was '{mode}').");
            if (preset.Instructions is { Length: > 16_000 })
                failures.Add($"{key}:Instructions must be at most 16000 characters.");
        }
    }

    private static void ValidateMcpServers(RealtimeOptions options, List<string> failures)
    {
        var labels = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var index = 0; index < options.McpServers.Count; index++)
        {
            var server = options.McpServers[index];
            var key = $"Realtime:McpServers:{index}";
            if (!McpLabel().IsMatch(server.Label))
                failures.Add($"{key}:Label must be 1-64 letters, digits, '-' or '_' (was '{server.Label}').");
            else if (!labels.Add(server.Label))
                failures.Add($"{key}:Label '{server.Label}' is used by more than one MCP server; labels must be unique.");
            // OpenAI connects to it from the internet, with the Authorization given here.
            if (server.ServerUrl is not { IsAbsoluteUri: true, Scheme: "https" } || !string.IsNullOrEmpty(server.ServerUrl.UserInfo))
                failures.Add($"{key}:ServerUrl must be an https URL without a user name or password (put a token in {key}:Authorization).");
            if (!McpServerOptions.ApprovalModes.Contains(server.RequireApproval))
                failures.Add($"{key}:RequireApproval must be one of {string.Join(", ", McpServerOptions.ApprovalModes)} (was '{server.RequireApproval}').");
            if (server.AllowedTools is { } tools && tools.Any(string.IsNullOrWhiteSpace))
                failures.Add($"{key}:AllowedTools must not hold an empty name.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex McpLabel();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex PresetName();
}
