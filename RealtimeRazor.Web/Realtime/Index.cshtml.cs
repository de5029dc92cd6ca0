using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Web.Realtime;

/// <summary>The voice page; outside Open mode only for those who signed in (or whom the proxy named).</summary>
[Authorize(Policy = AccessExtensions.RealtimePolicy)]
public sealed class IndexModel(IOptions<OpenAIOptions> openAI, IOptions<RealtimeOptions> realtime, IOptions<AccessOptions> access) : LocalizedPageModel
{
    /// <summary>The passcode name of a signed-in user, who can then sign out.</summary>
    public string? SignedInAs => access.Value.Mode == AccessMode.Passcode ? User.Identity?.Name : null;

    /// <summary>The server can authenticate upstream (a key, or Entra ID with Azure); without it Connect stays disabled.</summary>
    public bool HasApiKey => openAI.Value.CanAuthenticate;

    public OpenAIOptions Upstream => openAI.Value;

    public RealtimeOptions Realtime => realtime.Value;

    public bool PreNegotiatedDataChannel => realtime.Value.UsesPreNegotiatedDataChannel(openAI.Value);

    /// <summary>
    /// What the scripts need from the server, delivered inside the page (no second request, no
    /// inline script). The default serializer escapes '&lt;', so the JSON cannot close its script element.
    /// </summary>
    public string ScriptData => JsonSerializer.Serialize(new
    {
        language = Language,
        strings = Strings,
        // "" is the base configuration; the page needs each choice's turn detection for push-to-talk.
        presets = new[] { ("", SessionSettings.From(Realtime)) }
            .Concat(Realtime.Presets.Select(preset => (preset.Name, SessionSettings.From(Realtime, preset))))
            .Select(choice => new { name = choice.Item1, turnDetection = SessionConfig.TurnDetection(choice.Item2.TurnDetection) }),
        price = Realtime.Prices.TryGetValue(Realtime.PricedModel, out var price) ? price : null,
    }, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public void OnGet()
    {
    }
}
