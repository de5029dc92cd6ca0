using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Web.Pages;

/// <summary>The voice page; outside Open mode only for those who signed in (or whom the proxy named).</summary>
[Authorize(Policy = AccessExtensions.RealtimePolicy)]
public sealed class IndexModel(IOptions<OpenAIOptions> openAI, IOptions<RealtimeOptions> realtime, IOptions<AccessOptions> access) : PageModel
{
    /// <summary>The passcode name of a signed-in user, who can then sign out.</summary>
    public string? SignedInAs => access.Value.Mode == AccessMode.Passcode ? User.Identity?.Name : null;

    public bool HasApiKey => openAI.Value.HasApiKey;

    public RealtimeOptions Realtime => realtime.Value;

    public void OnGet()
    {
    }
}
