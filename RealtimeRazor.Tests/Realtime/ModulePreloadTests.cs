using System.Net;
using System.Text.RegularExpressions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>
/// The page names its whole import graph as <c>modulepreload</c>, so a first visit requests every module
/// with the entry script instead of one level of imports per round trip (docs/benchmarks.md, section 2a).
/// </summary>
public sealed partial class ModulePreloadTests
{
    [GeneratedRegex(""""<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"""", RegexOptions.IgnoreCase)]
    private static partial Regex ModuleScript();

    [GeneratedRegex(""""<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"""", RegexOptions.IgnoreCase)]
    private static partial Regex ModulePreload();

    [GeneratedRegex(""""<base\b[^>]*\bhref="([^"]+)"""", RegexOptions.IgnoreCase)]
    private static partial Regex BaseHref();

    // Static imports only (`import x from '…'`, `import '…'`, `export … from '…'`): a dynamic import() or a
    // worker loads when used, and preloading it would spend a first visit's bytes on it.
    [GeneratedRegex("""(?:\bfrom\s*|^\s*import\s*)["']([^"']+)["']""", RegexOptions.Multiline)]
    private static partial Regex StaticImport();

    [Fact]
    public async Task Every_module_the_entry_script_imports_is_preloaded_and_at_most_five_scripts_stand_before_Connect()
    {
        using var app = new TestApp();
        var address = app.Factory.StartKestrel();
        // As a browser fetches: compressed, and the decoded body is what counts.
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All }) { BaseAddress = address };
        var page = new Uri(address, "/");
        var html = await http.GetStringAsync(page);
        var documentBase = new Uri(page, WebUtility.HtmlDecode(BaseHref().Match(html).Groups[1].Value));
        var imports = PageAssets.Imports(html, documentBase);
        var entries = ModuleScript().Matches(html).Select(m => new Uri(documentBase, WebUtility.HtmlDecode(m.Groups[1].Value))).ToList();
        Assert.NotEmpty(entries);

        // Walk the graph the way the browser does: fetch a module, resolve each import through the import map.
        var graph = new HashSet<Uri>();
        var pending = new Queue<Uri>(entries);
        while (pending.TryDequeue(out var module))
        {
            var source = await FetchModuleAsync(http, module);
            foreach (Match import in StaticImport().Matches(source))
            {
                var specifier = new Uri(module, import.Groups[1].Value);
                Assert.True(imports.TryGetValue(specifier, out var target), $"{module} imports {specifier}, which the import map does not name");
                if (graph.Add(target))
                    pending.Enqueue(target);
            }
        }
        Assert.True(graph.Count >= 3, $"the import graph has only {graph.Count} modules: the walk found no imports");
        // What the page's modules wait for: at most five requests (the stylesheet is in the page), which HTTP/1.1's six
        // connections per host fetch in one round. The rest of the page is imported dynamically, after Connect is enabled.
        Assert.True(entries.Count + graph.Count <= 5, $"{entries.Count + graph.Count} scripts before Connect is enabled: {string.Join(", ", graph.Select(u => u.AbsolutePath))}");

        var preloads = ModulePreload().Matches(html).Select(m => new Uri(documentBase, WebUtility.HtmlDecode(m.Groups[1].Value))).ToList();
        foreach (var preload in preloads)
            await FetchModuleAsync(http, preload);
        // Exactly the graph: nothing left to a later round trip, no module preloaded that the page does not import.
        Assert.Equal(graph.Select(u => u.AbsolutePath).Order(StringComparer.Ordinal), preloads.Select(u => u.AbsolutePath).Order(StringComparer.Ordinal));
    }

    private static async Task<string> FetchModuleAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url} answered {(int)response.StatusCode}");
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrWhiteSpace(body), $"{url} is empty");
        return body;
    }
}
