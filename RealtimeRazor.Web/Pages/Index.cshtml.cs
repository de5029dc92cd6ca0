using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Web.Pages;

public sealed class IndexModel(IOptions<OpenAIOptions> openAI, IOptions<RealtimeOptions> realtime) : PageModel
{
    public bool HasApiKey => openAI.Value.HasApiKey;

    public RealtimeOptions Realtime => realtime.Value;

    public void OnGet()
    {
    }
}
