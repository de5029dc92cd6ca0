using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;

namespace RealtimeRazor.Web.Pages;

/// <summary>Exchanges a passcode for the sign-in cookie. Razor Pages check the antiforgery token on POST.</summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class SignInModel(IOptions<AccessOptions> access, AuditLog audit) : PageModel
{
    [BindProperty, Required(ErrorMessage = "Enter the passcode."), MaxLength(256)]
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
        if (!ModelState.IsValid)
        {
            audit.SignInFailed(HttpContext.Connection.RemoteIpAddress, "no usable passcode in the form");
            return Page();
        }

        // Every hash is checked so the time taken does not tell which name matched.
        string? user = null;
        string? stamp = null;
        foreach (var (name, hash) in access.Value.Passcodes)
        {
            if (PasscodeHasher.Verify(Passcode!, hash) && user is null)
                (user, stamp) = (name, PasscodeHasher.Stamp(hash));
        }
        if (user is null)
        {
            audit.SignInFailed(HttpContext.Connection.RemoteIpAddress, "wrong passcode");
            ModelState.AddModelError(nameof(Passcode), "That passcode is not right.");
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
