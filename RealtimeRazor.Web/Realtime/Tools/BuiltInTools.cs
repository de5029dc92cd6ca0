using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime.Calls;

namespace RealtimeRazor.Web.Realtime.Tools;

/// <summary>The shipped tools, made with <see cref="AIFunctionFactory"/> like an operator's own; only the enabled ones exist.</summary>
public sealed class BuiltInTools(IOptions<BuiltInToolOptions> options, TimeProvider time)
{
    public IEnumerable<AIFunction> Enabled()
    {
        var settings = options.Value;
        if (settings.Clock.Enabled)
            yield return AIFunctionFactory.Create(CurrentTime, "current_time", "The current date and time, in the given IANA time zone or the operator's default.");
        if (settings.EndCall.Enabled)
            yield return AIFunctionFactory.Create(EndCall, "end_call", "Ends the call after your reply. Call it when the user says goodbye or asks to hang up, then say a short farewell.");
        if (settings.Documents.Enabled)
        {
            var library = DocumentLibrary.Load(settings.Documents.Folder!);
            var maxResults = settings.Documents.MaxResults;
            yield return AIFunctionFactory.Create(
                ([Description("Keywords to look up")] string query) => library.Search(query, maxResults),
                "search_documents", "Searches the operator's documents and returns the most relevant passages. Answer from them and name the document.");
        }
    }

    private string CurrentTime([Description("IANA time zone id, e.g. Asia/Tokyo; omit for the default")] string? timeZone = null)
    {
        var id = string.IsNullOrWhiteSpace(timeZone) ? options.Value.Clock.TimeZone : timeZone;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone))
            return ToolInvoker.Error($"Unknown time zone {id}.");
        var now = TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone);
        return $"{now.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)} ({now.DayOfWeek}, {zone.Id})";
    }

    /// <summary>The call's controller hangs up once the assistant's farewell has played.</summary>
    private static string EndCall(IServiceProvider services)
    {
        services.GetRequiredService<ICallControl>().HangUpAfterReply();
        return "The call will end after your farewell.";
    }
}
