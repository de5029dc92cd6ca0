using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Html;
using Microsoft.Extensions.FileProviders;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// The site's stylesheet, written into each page's head (with the request's CSP nonce) instead of linked. A
/// linked stylesheet blocks the first paint until it has arrived, and on a slow network it arrives last: it
/// shares the first round trip's bandwidth with the page's modules. Inline, the page paints (and Connect is
/// usable) as soon as its HTML is parsed; the ~2.5 KB it adds to a compressed page is less than the request
/// it saves (docs/benchmarks.md, "slow network").
/// </summary>
public static class SiteStyles
{
    public const string Path = "css/site.css";

    private static readonly ConditionalWeakTable<IFileProvider, HtmlString> Cache = [];

    /// <summary>Read once per web root, as the import map is read once per build; in Development on every page, so an edit shows on reload.</summary>
    public static HtmlString Inline(HttpContext context)
    {
        var environment = context.RequestServices.GetRequiredService<IWebHostEnvironment>();
        return environment.IsDevelopment() ? Read(environment.WebRootFileProvider) : Cache.GetValue(environment.WebRootFileProvider, Read);
    }

    private static HtmlString Read(IFileProvider webRoot)
    {
        var file = webRoot.GetFileInfo(Path);
        if (!file.Exists)
            throw new InvalidOperationException($"The web root has no {Path}: the app was not built or published completely.");
        using var reader = new StreamReader(file.CreateReadStream());
        // Our own file, never user input; a stray "</style" would end the element early, so it cannot pass.
        var css = reader.ReadToEnd();
        if (css.Contains("</style", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"{Path} contains \"</style\", which cannot be written inside a <style> element.");
        return new HtmlString(css);
    }
}
