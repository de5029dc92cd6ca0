using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RealtimeRazor.Tests.Hosting;
using RealtimeRazor.Tests.Support;

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

    /// <summary>The site's stylesheet as the repository has it: every page carries it inline (Hosting/SiteStyles.cs).</summary>
    private static Task<string> SiteStylesheetAsync() =>
        File.ReadAllTextAsync(Path.Combine(RealtimeRazor.Testing.Repository.Root, "RealtimeRazor.Web", "wwwroot", "css", "site.css"));

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
    /// Fetches the page's scripts and import-mapped modules, then every module those import (through the import
    /// map, as a browser would), each the way a browser fetches it (see <see cref="FetchAsync"/>); returns what was
    /// fetched. The page links no stylesheet: it carries the site's own inline, exactly as the build wrote it.
    /// </summary>
    public static async Task<IReadOnlyCollection<Uri>> AssertAllServedAsync(HttpClient http, Uri page, string html)
    {
        var imports = Imports(html, page);
        var scripts = Scripts(html, page);
        Assert.NotEmpty(scripts);
        Assert.Empty(Stylesheets(html, page));
        Assert.Contains(await SiteStylesheetAsync(), html, StringComparison.Ordinal);

        var fetched = new HashSet<Uri>();

        var pending = new Queue<Uri>(scripts.Concat(imports.Values));
        while (pending.TryDequeue(out var script))
        {
            if (!fetched.Add(script))
                continue;
            var source = await FetchAsync(http, page, script, "text/javascript");
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

    /// <summary>What Chromium sends with every request: a server offering precompressed files must answer each with a body it can decode.</summary>
    private const string BrowserAcceptEncoding = "gzip, deflate, br, zstd";

    /// <summary>
    /// Fetches <paramref name="url"/> as a browser does and asserts what a browser relies on: 200, the media
    /// type (Chromium refuses a module without it), a body as long as Content-Length says, and, once decoded,
    /// exactly the file the build wrote to wwwroot. Returns the decoded text.
    /// </summary>
    private static async Task<string> FetchAsync(HttpClient http, Uri page, Uri url, string mediaType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", BrowserAcceptEncoding);
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url} answered {(int)response.StatusCode}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == mediaType, $"{url} came as '{response.Content.Headers.ContentType}', not {mediaType}");
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentLength is { } length)
            Assert.True(body.Length == length, $"{url} announced {length} bytes and sent {body.Length}");
        var decoded = Decode(body, response.Content.Headers.ContentEncoding, url);

        var source = SourceFile(page, url);
        Assert.True(decoded.AsSpan().SequenceEqual(File.ReadAllBytes(source)),
            $"{url} ({string.Join(", ", response.Content.Headers.ContentEncoding)}, {body.Length} bytes) does not decode to {source}");
        return Encoding.UTF8.GetString(decoded);
    }

    /// <summary>Undoes each Content-Encoding, last applied first; one a browser could not decode fails the check.</summary>
    private static byte[] Decode(byte[] body, IEnumerable<string> encodings, Uri url)
    {
        foreach (var encoding in encodings.Reverse())
        {
            using var encoded = new MemoryStream(body);
            using Stream decoder = encoding.ToLowerInvariant() switch
            {
                "gzip" => new GZipStream(encoded, CompressionMode.Decompress),
                "br" => new BrotliStream(encoded, CompressionMode.Decompress),
                // HTTP's "deflate" is the zlib format.
                "deflate" => new ZLibStream(encoded, CompressionMode.Decompress),
                _ => throw new Xunit.Sdk.XunitException($"{url} came encoded as '{encoding}', which this check does not decode"),
            };
            using var decoded = new MemoryStream();
            decoder.CopyTo(decoded);
            body = decoded.ToArray();
        }
        return body;
    }

    [GeneratedRegex(@"^(?<name>.+)\.[0-9a-z]{10}(?<extension>\.[a-z]+)$")]
    private static partial Regex Fingerprinted();

    /// <summary>The file in the web project's wwwroot that <paramref name="url"/> serves: its path under the page, without the build's fingerprint.</summary>
    private static string SourceFile(Uri page, Uri url)
    {
        Assert.True(url.AbsolutePath.StartsWith(page.AbsolutePath, StringComparison.Ordinal), $"{url} is not under the page {page}");
        var path = Uri.UnescapeDataString(url.AbsolutePath[page.AbsolutePath.Length..]);
        var wwwroot = Path.Combine(Repository.Root, "RealtimeRazor.Web", "wwwroot");
        var file = Path.Combine(wwwroot, path);
        if (!File.Exists(file) && Fingerprinted().Match(path) is { Success: true } match)
            file = Path.Combine(wwwroot, match.Groups["name"].Value + match.Groups["extension"].Value);
        Assert.True(File.Exists(file), $"{url} names no file in {wwwroot}");
        return file;
    }
}
