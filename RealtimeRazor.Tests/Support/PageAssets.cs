using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RealtimeRazor.Tests.Support;

/// <summary>Follows what a browser would load for a page: scripts, stylesheets, import-mapped modules and their imports.</summary>
public static partial class PageAssets
{
    [GeneratedRegex("<script\\b[^>]*\\bsrc=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptSrc();

    // Stylesheets only: the page's icon link is an inline data: URL, nothing to fetch.
    [GeneratedRegex("<link\\b[^>]*\\brel=\"stylesheet\"[^>]*\\bhref=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex LinkHref();

    [GeneratedRegex("""<script\b[^>]*type="importmap"[^>]*>(.*?)</script>""", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex ImportMap();

    [GeneratedRegex("""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""")]
    private static partial Regex ModuleImport();

    public static IReadOnlyList<Uri> Scripts(string html, Uri page) => ScriptSrc().Matches(html).Select(m => new Uri(page, WebUtility.HtmlDecode(m.Groups[1].Value))).ToList();

    public static IReadOnlyList<Uri> Stylesheets(string html, Uri page) => LinkHref().Matches(html).Select(m => new Uri(page, WebUtility.HtmlDecode(m.Groups[1].Value))).ToList();

    /// <summary>The import map's entries (specifier resolved against the page, target resolved against the page).</summary>
    public static IReadOnlyDictionary<Uri, Uri> Imports(string html, Uri page)
    {
        var map = new Dictionary<Uri, Uri>();
        foreach (Match match in ImportMap().Matches(html))
        {
            if (string.IsNullOrWhiteSpace(match.Groups[1].Value))
                continue;
            using var json = JsonDocument.Parse(match.Groups[1].Value);
            if (json.RootElement.TryGetProperty("imports", out var imports))
                foreach (var entry in imports.EnumerateObject())
                    map[new Uri(page, entry.Name)] = new Uri(page, entry.Value.GetString()!);
        }
        return map;
    }

    /// <summary>
    /// Fetches the page's scripts, stylesheets and import-mapped modules, then every module those import
    /// (through the import map, as a browser would). Asserts each is 200 with a fitting content type; returns what was fetched.
    /// </summary>
    public static async Task<IReadOnlyCollection<Uri>> AssertAllServedAsync(HttpClient http, Uri page, string html)
    {
        var imports = Imports(html, page);
        var styles = Stylesheets(html, page);
        var scripts = Scripts(html, page);
        Assert.NotEmpty(styles);
        Assert.NotEmpty(scripts);

        var fetched = new HashSet<Uri>();
        foreach (var style in styles)
        {
            await FetchAsync(http, style, "text/css");
            fetched.Add(style);
        }

        var pending = new Queue<Uri>(scripts.Concat(imports.Values));
        while (pending.TryDequeue(out var script))
        {
            if (!fetched.Add(script))
                continue;
            var source = await FetchAsync(http, script, "text/javascript");
            foreach (Match import in ModuleImport().Matches(source))
            {
                // main.abc123.js imports './session.js': the browser resolves that to /js/session.js and
                // looks it up in the import map, which must name the versioned file.
                var resolved = new Uri(script, import.Groups[1].Value);
                Assert.True(imports.TryGetValue(resolved, out var target), $"{script} imports {resolved}, which the import map does not name");
                pending.Enqueue(target);
            }
        }
        return fetched;
    }

    private static async Task<string> FetchAsync(HttpClient http, Uri url, string mediaType)
    {
        using var response = await http.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url} answered {(int)response.StatusCode}");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrWhiteSpace(body), $"{url} is empty");
        return body;
    }
}
