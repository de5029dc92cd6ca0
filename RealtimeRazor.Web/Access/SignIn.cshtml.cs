using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Web.Access;

/// <summary>Exchanges a passcode for the sign-in cookie. Razor Pages check the antiforgery token on POST.</summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class SignInModel(IOptions<AccessOptions> access, AuditLog audit) : LocalizedPageModel
{
    /// <summary>Longer than any passcode worth hashing: refused as wrong without the (slow) hashing.</summary>
    private const int MaxPasscodeLength = 256;

    [BindProperty]
    public string? Passcode { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool PasscodesEnabled => access.Value.Mode == AccessMode.Passcode;

    public IActionResult OnGet() => PasscodesEnabled ? Page() : NotFound();

    /// <summary>The form holds an antiforgery token: compressing it next to reflected input would invite BREACH.</summary>
    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        if (HttpContext.Features.Get<IHttpsCompressionFeature>() is { } compression)
            compression.Mode = HttpsCompressionMode.DoNotCompress;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!PasscodesEnabled)
            return NotFound();
        // Checked here rather than by attributes, so the messages come from the page's own language table.
        if (string.IsNullOrEmpty(Passcode))
        {
            audit.SignInFailed(HttpContext.Connection.RemoteIpAddress, "no usable passcode in the form");
            ModelState.AddModelError(nameof(Passcode), T("signIn.empty"));
            return Page();
        }

        // Every hash is checked so the time taken does not tell which name matched.
        string? user = null;
        string? stamp = null;
        if (Passcode.Length <= MaxPasscodeLength)
        {
            foreach (var (name, hash) in access.Value.Passcodes)
            {
                if (PasscodeHasher.Verify(Passcode, hash) && user is null)
                    (user, stamp) = (name, PasscodeHasher.Stamp(hash));
            }
        }
        if (user is null)
        {
            audit.SignInFailed(HttpContext.Connection.RemoteIpAddress, "wrong passcode");
            ModelState.AddModelError(nameof(Passcode), T("signIn.wrong"));
            return Page();
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user), new Claim(PasscodeHasher.StampClaim, stamp!)], AccessExtensions.PasscodeScheme);
        await HttpContext.SignInAsync(AccessExtensions.PasscodeScheme, new ClaimsPrincipal(identity));
        audit.SignedIn(user, HttpContext.Connection.RemoteIpAddress);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : Url.Content("~/"));
    }

    public async Task<IActionResult> OnPostSignOutAsync()
    {
        await HttpContext.SignOutAsync(AccessExtensions.PasscodeScheme);
        audit.SignedOut(User.Identity?.Name, HttpContext.Connection.RemoteIpAddress);
        return LocalRedirect(Url.Content("~/signin"));
    }
}
