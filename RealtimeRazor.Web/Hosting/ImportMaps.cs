using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Components;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// The page's import map: every module name mapped to its fingerprinted, year-cached file. It carries
/// no integrity hashes: with them Chromium fetches the entry module twice (its preload scanner cannot
/// see them), and for scripts from this same origin, already limited by the CSP, they guard nothing.
/// </summary>
public static class ImportMaps
{
    private static readonly ConditionalWeakTable<ResourceAssetCollection, ImportMapDefinition> Cache = [];

    public static ImportMapDefinition? ForPage(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<ResourceAssetCollection>() is { } assets
            ? Cache.GetValue(assets, static assets => new ImportMapDefinition(ImportMapDefinition.FromResourceCollection(assets).Imports, null, null))
            : null;
}
