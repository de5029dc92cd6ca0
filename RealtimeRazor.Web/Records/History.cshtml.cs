using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Web.Records;

/// <summary>The visitor's own conversations, newest first, with a search over what was said.</summary>
[Authorize(Policy = AccessExtensions.RealtimePolicy)]
public sealed class HistoryModel(IOptions<RecordsOptions> options, IServiceProvider services) : LocalizedPageModel
{
    public const int MaxSearchLength = 200;

    public RecordsOptions Records => options.Value;

    public bool PerBrowser { get; private set; }

    public IReadOnlyList<RecordsStore.Summary> Conversations { get; private set; } = [];

    public int PageNumber { get; private set; }

    public bool HasOlder { get; private set; }

    public string? Search { get; private set; }

    public async Task OnGetAsync(int page, string? q, CancellationToken cancellationToken)
    {
        PerBrowser = RecordOwner.IsPerBrowser(HttpContext);
        if (!Records.Enabled)
            return;
        PageNumber = Math.Clamp(page, 0, 10_000);
        Search = q is { Length: > 0 } ? q[..Math.Min(q.Length, MaxSearchLength)] : null;
        var store = services.GetRequiredService<RecordsStore>();
        (Conversations, HasOlder) = await store.ListAsync(RecordOwner.Of(HttpContext), PageNumber, Search, cancellationToken);
    }

    public static string Length(RecordsStore.Summary conversation) =>
        conversation.EndedAt is { } ended ? (ended - conversation.StartedAt).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "–";

    public static string Cost(long micros) => (micros / 1_000_000m).ToString("$0.0000", CultureInfo.InvariantCulture);

    /// <summary>Times are written in UTC with their zone, the same for everyone (the server cannot know the visitor's).</summary>
    public static string When(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
