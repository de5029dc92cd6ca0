using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace RealtimeRazor.Web.Localization;

/// <summary>
/// The language switcher of every page (Shared/_LanguageSwitch): remembers the choice for a year and
/// returns to the page it was made on. Open to visitors who have not signed in, and outside the
/// sign-in page's rate limit: choosing a language is not a passcode attempt.
/// </summary>
public sealed class LanguageModel : PageModel
{
    public IActionResult OnGet() => NotFound();

    public IActionResult OnPost(string? language, string? returnUrl)
    {
        if (language is not null && UiStrings.ByCulture.ContainsKey(language))
        {
            Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(language)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        }
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : Url.Content("~/"));
    }
}
