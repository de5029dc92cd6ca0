using System.Text.Json;
using RealtimeRazor.Tests.Infrastructure;

namespace RealtimeRazor.Tests.Support;

public static class FakeOpenAIScripts
{
    /// <summary>
    /// <see cref="FakeOpenAI.Fail"/>, after removing the fake's default route for <paramref name="path"/>.
    /// Fail registers at priority 0, the same as the default routes, and WireMock ranks the default
    /// (which also matches the method) first, so without this the scripted failure is never answered.
    /// </summary>
    public static void FailInstead(this FakeOpenAI fake, string path, int status, string contentType = "application/json", string? body = null, IDictionary<string, string>? headers = null, TimeSpan? delay = null)
    {
        foreach (var mapping in fake.Server.MappingModels.Where(m => PathPatterns(m.Request).Any(pattern => Matches(pattern, "/v1" + path))).ToList())
            fake.Server.DeleteMapping(mapping.Guid!.Value);
        fake.Fail(path, status, contentType, body, headers, delay);
    }

    private static bool Matches(string wildcard, string path) =>
        System.Text.RegularExpressions.Regex.IsMatch(path, "^" + System.Text.RegularExpressions.Regex.Escape(wildcard).Replace("\\*", ".*", StringComparison.Ordinal) + "$");

    private static List<string> PathPatterns(object? request)
    {
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(request));
        return json.RootElement.TryGetProperty("Path", out var path) && path.ValueKind == JsonValueKind.Object && path.TryGetProperty("Matchers", out var matchers)
            ? matchers.EnumerateArray().Select(m => m.GetProperty("Pattern").GetString()).OfType<string>().ToList()
            : [];
    }
}
