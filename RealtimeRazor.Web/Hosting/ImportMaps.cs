using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// The page's import map: every module name mapped to its fingerprinted, year-cached file. It carries
/// no integrity hashes: with them Chromium fetches the entry module twice (its preload scanner cannot
/// see them), and for scripts from this same origin, already limited by the CSP, they guard nothing.
/// </summary>
public static partial class ImportMaps
{
    private static readonly ConditionalWeakTable<ResourceAssetCollection, ImportMapDefinition> Cache = [];
    private static readonly ConditionalWeakTable<ResourceAssetCollection, ConcurrentDictionary<string, IReadOnlyList<string>>> PreloadCache = [];

    public static ImportMapDefinition? ForPage(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<ResourceAssetCollection>() is { } assets
            ? Cache.GetValue(assets, static assets => new ImportMapDefinition(ImportMapDefinition.FromResourceCollection(assets).Imports, null, null))
            : null;

    /// <summary>
    /// Every module <paramref name="entry"/> imports statically, directly or through another, as the
    /// fingerprinted URL the import map resolves it to. The page names them as <c>modulepreload</c>, so the
    /// browser requests them all with the entry script instead of discovering one level of imports per
    /// round trip. Read once from the compiled scripts in the web root (per build, like the import map);
    /// dynamic imports and workers are left out, as they load only when used.
    /// </summary>
    public static IReadOnlyList<string> ModulePreloads(HttpContext context, string entry)
    {
        if (ForPage(context) is not { Imports: { } imports } || context.GetEndpoint()?.Metadata.GetMetadata<ResourceAssetCollection>() is not { } assets)
            return [];
        var webRoot = context.RequestServices.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider;
        return PreloadCache.GetOrCreateValue(assets).GetOrAdd(entry, _ => ImportGraph(imports, webRoot, entry));
    }

    private static List<string> ImportGraph(IReadOnlyDictionary<string, string> imports, Microsoft.Extensions.FileProviders.IFileProvider webRoot, string entry)
    {
        // Import map keys are "./js/name.js"; resolve specifiers the way the browser does, against the importing module.
        var root = new Uri("http://page/");
        var seen = new HashSet<string>(StringComparer.Ordinal) { "./" + entry.TrimStart('.', '/') };
        var pending = new Queue<string>(seen);
        var preloads = new List<string>();
        while (pending.TryDequeue(out var module))
        {
            var file = webRoot.GetFileInfo(module.TrimStart('.', '/'));
            if (!file.Exists)
                continue;
            string source;
            using (var reader = new StreamReader(file.CreateReadStream()))
                source = reader.ReadToEnd();
            foreach (Match import in StaticImport().Matches(source))
            {
                var specifier = import.Groups["bare"].Success ? import.Groups["bare"].Value : import.Groups["from"].Value;
                var resolved = "." + new Uri(new Uri(root, module), specifier).AbsolutePath;
                if (seen.Add(resolved) && imports.TryGetValue(resolved, out var url))
                {
                    preloads.Add(url);
                    pending.Enqueue(resolved);
                }
            }
        }
        return preloads;
    }

    // Compiled ES modules put each static import on its own line: `import { a } from './a.js';`,
    // `import './a.js';`, `export { a } from './a.js';`. `import('./a.js')` (dynamic) does not match.
    [GeneratedRegex("""^\s*(?:import\s*["'](?<bare>[^"']+)["']|(?:import|export)\b[^"'();]*?\bfrom\s*["'](?<from>[^"']+)["'])""", RegexOptions.Multiline)]
    private static partial Regex StaticImport();
}
