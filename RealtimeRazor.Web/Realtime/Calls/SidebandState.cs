namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>How the server's own connection to a live call stands; the page shows <see cref="Unavailable"/> as "tools unavailable".</summary>
public enum SidebandState
{
    Connecting,
    Open,

    /// <summary>The last attempt to (re)open it failed; the controller keeps trying while the call lives.</summary>
    Unavailable,
}
