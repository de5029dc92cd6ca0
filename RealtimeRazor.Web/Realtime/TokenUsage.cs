using System.Text.Json;

namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// Tokens of one or more responses, from the <c>usage</c> of <c>response.done</c>. Cached tokens are a
/// part of the input tokens, billed at the cached rate instead of their text or audio rate.
/// </summary>
public readonly record struct TokenUsage(long InputText, long InputAudio, long CachedText, long CachedAudio, long OutputText, long OutputAudio)
{
    public long Input => InputText + InputAudio;

    public long Output => OutputText + OutputAudio;

    public long Total => Input + Output;

    public static TokenUsage operator +(TokenUsage a, TokenUsage b) => new(
        a.InputText + b.InputText, a.InputAudio + b.InputAudio, a.CachedText + b.CachedText,
        a.CachedAudio + b.CachedAudio, a.OutputText + b.OutputText, a.OutputAudio + b.OutputAudio);

    /// <summary>
    /// Reads a <c>usage</c> object. When it does not say which cached tokens were audio, they count as audio
    /// first (a voice session's cached context is mostly audio): the page's estimate follows the same rule.
    /// </summary>
    public static TokenUsage Parse(JsonElement usage)
    {
        var input = Child(usage, "input_token_details");
        var output = Child(usage, "output_token_details");
        var inputAudio = Count(input, "audio_tokens");
        var inputText = Count(input, "text_tokens");
        var cached = Count(input, "cached_tokens");
        var cachedDetails = Child(input, "cached_tokens_details");
        var cachedAudio = Number(cachedDetails, "audio_tokens") ?? Math.Min(cached, inputAudio);
        var cachedText = Number(cachedDetails, "text_tokens") ?? Math.Max(0, cached - cachedAudio);
        return new(inputText, inputAudio, cachedText, cachedAudio, Count(output, "text_tokens"), Count(output, "audio_tokens"));
    }

    private static JsonElement? Child(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var child) && child.ValueKind == JsonValueKind.Object ? child : null;

    private static long? Number(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) && number >= 0 ? number : null;

    private static long Count(JsonElement? parent, string name) => Number(parent, name) ?? 0;
}
