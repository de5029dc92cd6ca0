namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>What a tool may do to the call it runs in; resolve it from the tool's <see cref="IServiceProvider"/> parameter.</summary>
public interface ICallControl
{
    string CallId { get; }

    /// <summary>Hangs the call up once the assistant's next reply has finished playing.</summary>
    void HangUpAfterReply();
}
