using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Web.Records;

/// <summary>
/// One kept conversation: its lines, usage and cost, exports, delete, and Continue. Anyone else's
/// conversation is answered exactly like one that does not exist (404), so ids reveal nothing.
/// </summary>
[Authorize(Policy = AccessExtensions.RealtimePolicy)]
public sealed class ConversationModel(IOptions<RecordsOptions> options, IServiceProvider services) : LocalizedPageModel
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public Conversation Record { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnGetMarkdownAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await FindAsync(id, cancellationToken))
            return NotFound();
        var markdown = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"# {T("conversation.title")} {HistoryModel.When(Record.StartedAt)}\n\n");
        foreach (var item in Record.Items)
            markdown.Append(CultureInfo.InvariantCulture, $"**{Speaker(item)}:** {LineText(item)}\n\n");
        markdown.Append(CultureInfo.InvariantCulture, $"{T("conversation.tokens")}: {Record.TotalTokens} · {T("history.cost")}: {HistoryModel.Cost(Record.CostMicros)}\n");
        return File(Encoding.UTF8.GetBytes(markdown.ToString()), "text/markdown; charset=utf-8", $"conversation-{Record.Id}.md");
    }

    public async Task<IActionResult> OnGetJsonAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await FindAsync(id, cancellationToken))
            return NotFound();
        var export = new
        {
            Record.Id, Record.StartedAt, Record.EndedAt, Record.EndReason, Record.Transport, Record.Model, Record.Preset, Record.Voice,
            Usage = new { Total = Record.TotalTokens, Input = Record.InputTokens, Output = Record.OutputTokens }, Record.CostUsd,
            Items = Record.Items.Select(i => new
            {
                i.ItemId, i.PreviousItemId, Role = i.Role.ToString().ToLowerInvariant(), i.At, i.Text, i.Interrupted, i.CutAtMs,
                Tool = i.Role == ItemRole.Tool ? new { Name = i.ToolName, Arguments = i.ToolArguments, Result = i.ToolResult, Failed = i.ToolFailed, DurationMs = i.ToolDurationMs } : null,
            }),
        };
        return File(JsonSerializer.SerializeToUtf8Bytes(export, JsonOptions), "application/json", $"conversation-{Record.Id}.json");
    }

    public async Task<IActionResult> OnPostDeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled || !await services.GetRequiredService<RecordsStore>().DeleteAsync(RecordOwner.Of(HttpContext), id, cancellationToken))
            return NotFound();
        return LocalRedirect("~/history");
    }

    public string Speaker(ConversationItem item) => T(item.Role switch
    {
        ItemRole.User => "conversation.you",
        ItemRole.Assistant => "conversation.assistant",
        _ => "conversation.tool",
    });

    /// <summary>What the line says; a tool line names the tool, its arguments and its result (or that it failed).</summary>
    public string LineText(ConversationItem item)
    {
        var text = item.Role == ItemRole.Tool
            ? $"{item.ToolName} {item.ToolArguments} → {(item.ToolFailed ? T("conversation.failed") : item.ToolResult)}"
            : item.Text ?? "…";
        return item.Interrupted && item.CutAtMs is { } ms
            ? $"{text} ({T("conversation.cut", ("seconds", (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture)))})"
            : text;
    }

    private async Task<bool> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
            return false;
        Record = (await services.GetRequiredService<RecordsStore>().FindAsync(RecordOwner.Of(HttpContext), id, cancellationToken))!;
        return Record is not null;
    }
}
