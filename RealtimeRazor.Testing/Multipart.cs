using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace RealtimeRazor.Testing;

/// <summary>Reads multipart/form-data the way a server would, to check what the app sends OpenAI.</summary>
public static class Multipart
{
    public static async Task<Dictionary<string, string>> ReadFieldsAsync(string contentType, string body)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value
            ?? throw new InvalidOperationException("multipart body without a boundary");
        var reader = new MultipartReader(boundary, new MemoryStream(Encoding.UTF8.GetBytes(body)));
        var fields = new Dictionary<string, string>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var disposition = ContentDispositionHeaderValue.Parse(section.ContentDisposition);
            using var text = new StreamReader(section.Body, Encoding.UTF8);
            fields[HeaderUtilities.RemoveQuotes(disposition.Name).Value!] = await text.ReadToEndAsync();
        }
        return fields;
    }

    /// <summary>The headers of each part, to check fields are sent as a browser's FormData sends them.</summary>
    public static async Task<Dictionary<string, Dictionary<string, string>>> ReadPartHeadersAsync(string contentType, string body)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value!;
        var reader = new MultipartReader(boundary, new MemoryStream(Encoding.UTF8.GetBytes(body)));
        var parts = new Dictionary<string, Dictionary<string, string>>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var disposition = ContentDispositionHeaderValue.Parse(section.ContentDisposition);
            parts[HeaderUtilities.RemoveQuotes(disposition.Name).Value!] = section.Headers!.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        }
        return parts;
    }
}
