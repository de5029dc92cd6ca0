using System.Text.Json;
using RealtimeRazor.Web.Scale;
using StackExchange.Redis;

namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>
/// A page's report that one of the model's function calls went unanswered: it came while no controller heard
/// the call (the instance running it died and no survivor had taken it over yet), so nobody ran its tool.
/// The call's controller asks OpenAI for the item and answers it (<see cref="CallController.RetrieveAsync"/>).
/// The report may reach any instance: with Redis, one whose controller runs elsewhere passes it on there.
/// </summary>
public sealed class UnansweredToolCalls(SessionRegistry sessions, IServiceProvider services)
{
    /// <summary>Where reports pass between instances: the instance running the call acts, the others ignore it.</summary>
    public static readonly RedisChannel Channel = RedisChannel.Literal(ScaleExtensions.KeyPrefix + "unanswered-tool-calls");

    /// <returns>False when the call is not the owner's or not live.</returns>
    public async Task<bool> ReportAsync(string owner, string callId, string itemId)
    {
        if (sessions.ControllerOf(owner, callId) is { } here)
        {
            await here.RetrieveAsync(itemId);
            return true;
        }
        if (services.SharedState() is not { } redis || await sessions.StatusAsync(owner, callId) is null)
            return false;
        await redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(new Passed(callId, itemId)));
        return true;
    }

    /// <summary>A report another instance passed on (already checked there against the call's owner); never throws.</summary>
    public void OnPassed(string message)
    {
        Passed? passed;
        try
        {
            passed = JsonSerializer.Deserialize<Passed>(message);
        }
        catch (JsonException)
        {
            return;
        }
        if (passed is { CallId: { } callId, ItemId: { } itemId }
            && sessions.ControllersHere().FirstOrDefault(call => call.Controller.CallId == callId).Controller is { } controller)
            _ = controller.RetrieveAsync(itemId);
    }

    private sealed record Passed(string? CallId, string? ItemId);
}
