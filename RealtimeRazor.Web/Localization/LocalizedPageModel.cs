using System.Globalization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace RealtimeRazor.Web.Localization;

/// <summary>A page written in the visitor's language (the request localization middleware chose it).</summary>
public abstract class LocalizedPageModel : PageModel
{
    public IReadOnlyDictionary<string, string> Strings => UiStrings.For(CultureInfo.CurrentUICulture);

    public string Language => UiStrings.NameFor(CultureInfo.CurrentUICulture);

    public string T(string key) => Strings[key];

    public string T(string key, params (string Name, string Value)[] values) => UiStrings.Format(Strings[key], values);
}
