using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Web.Records;

/// <summary>
/// "Continue this conversation": the page names a kept conversation, and the server adds its last turns
/// to the new session's instructions from the record. The page never sends past turns, so it cannot
/// put words in anyone's mouth; a conversation that is not the caller's is refused as unknown.
/// </summary>
public static class Continuation
{
    public static async Task<Refusable<SessionSettings>> AddAsync(SessionSettings settings, Guid? conversation, string owner, RecordsStore records, CancellationToken cancellationToken)
    {
        if (conversation is not { } id)
            return settings;
        if (await records.ContinuationAsync(owner, id, cancellationToken) is not { } context)
            return Refusal.Of(ProblemCode.ConversationNotFound);
        return settings with { Instructions = settings.Instructions + context };
    }
}
