using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace RealtimeRazor.Web.Realtime.Tools;

/// <summary>
/// The operator's tools: every <see cref="AIFunction"/> registered in DI. A session lists those of its
/// preset (<c>Realtime:Presets:&lt;n&gt;:Tools</c>, default all); the page can neither add nor choose one.
/// </summary>
public sealed class RealtimeTools
{
    private readonly Dictionary<string, AIFunction> _byName = new(StringComparer.Ordinal);

    public RealtimeTools(IEnumerable<AIFunction> operatorTools, BuiltInTools builtIns)
    {
        foreach (var function in builtIns.Enabled().Concat(operatorTools))
        {
            if (!_byName.TryAdd(function.Name, function))
                throw new InvalidOperationException($"Two realtime tools are named '{function.Name}'; tool names must be unique.");
        }
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    /// <summary>The tools a session with <paramref name="names"/> (null: all) may call; unknown names were refused at startup.</summary>
    public IReadOnlyList<AIFunction> For(IReadOnlyList<string>? names) =>
        names is null ? [.. _byName.Values] : [.. names.Where(_byName.ContainsKey).Select(name => _byName[name])];

    /// <summary>The session's <c>tools</c> array as OpenAI documents function tools.</summary>
    public static JsonArray Describe(IEnumerable<AIFunction> tools) =>
    [
        .. tools.Select(tool => new JsonObject
        {
            ["type"] = "function",
            ["name"] = tool.Name,
            ["description"] = tool.Description,
            ["parameters"] = JsonNode.Parse(tool.JsonSchema.GetRawText()),
        }),
    ];
}
