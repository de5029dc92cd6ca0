using System.Text.Json;

namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>
/// What the page cannot see from its own channel (<c>GET /api/realtime/calls/{id}</c>): whether the server's
/// sideband to the call is up, the server's own count of the call's usage and cost, and whether the budget
/// ran out. Made by the instance running the call's controller; with Redis it is also published with the
/// call's slot, so any instance can answer.
/// </summary>
public sealed record CallStatus(string Sideband, int Tools, CallStatus.Tokens Usage, decimal CostUsd, bool BudgetSpent)
{
    public sealed record Tokens(long Total, long Input, long Output);

    public static CallStatus Of(CallController controller)
    {
        var (usage, costUsd) = controller.Spent;
        var sideband = controller.State switch
        {
            SidebandState.Open => "open",
            SidebandState.Unavailable => "unavailable",
            _ => "connecting",
        };
        return new(sideband, controller.ToolCount, new(usage.Total, usage.Input, usage.Output), costUsd, controller.BudgetSpent);
    }

    /// <summary>A call known to the shared store whose status its instance has not yet published (it started within the last second).</summary>
    public static CallStatus Starting(int tools) => new("connecting", tools, new(0, 0, 0), 0m, false);

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    /// <summary>Null for anything that is not a status this app published.</summary>
    public static CallStatus? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<CallStatus>(json, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
