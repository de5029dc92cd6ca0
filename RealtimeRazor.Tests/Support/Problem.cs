using System.Net;
using System.Text.Json;

namespace RealtimeRazor.Tests.Support;

public static class Problem
{
    /// <summary>Asserts a problem+json answer with <paramref name="status"/>, a title and (when given) <paramref name="code"/>; returns the body.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()), "problem has no title");
        if (code is not null)
            Assert.Equal(code, body.GetProperty("code").GetString());
        return body;
    }
}
