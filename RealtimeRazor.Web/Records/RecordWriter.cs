using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Records;

/// <summary>
/// Brings the schema up to date at startup, then writes the recorder's queue in batches. A batch that
/// cannot be written is kept and retried with backoff (the queue behind it fills meanwhile; see
/// <see cref="CallRecorder"/>). On a normal stop every live call's record is ended and the queue is
/// drained, bounded by the host's shutdown timeout.
/// </summary>
public sealed partial class RecordWriter(
    CallRecorder recorder, RecordsHealth health, IServiceScopeFactory scopes, IOptions<RecordsOptions> options, ILogger<RecordWriter> logger) : IHostedService, IDisposable
{
    private const int BatchSize = 500;

    /// <summary>The end a stopping instance gives its live calls' records; with Redis another instance may take a call over and record it on.</summary>
    private const string ServerStopped = "server_stopped";

    /// <summary>The end a WebSocket call's record gets when its instance died: its slot lapsed, nothing renewing it.</summary>
    internal const string InstanceLost = "instance_lost";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _abort = new();
    private Task _run = Task.CompletedTask;
    private bool _migrated;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
            return;
        await TryMigrateAsync(cancellationToken);
        _run = Task.Run(() => RunAsync(_abort.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
            return;
        recorder.EndAll(ServerStopped);
        recorder.CompleteQueue();
        await Task.WhenAny(_run, Task.Delay(Timeout.Infinite, cancellationToken));
        if (!_run.IsCompleted)
        {
            LogLostAtStop(logger, recorder.Queued);
            await _abort.CancelAsync();
        }
        await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _abort.Dispose();

    private async Task RunAsync(CancellationToken abort)
    {
        var batch = new List<RecordOp>(BatchSize);
        var queue = recorder.Queue;
        try
        {
            while (await queue.WaitToReadAsync(abort))
            {
                while (batch.Count < BatchSize && queue.TryRead(out var op))
                    batch.Add(op);
                await WriteWithRetryAsync(batch, abort);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }
    }

    private async Task WriteWithRetryAsync(List<RecordOp> batch, CancellationToken abort)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (!_migrated && !await TryMigrateAsync(abort))
                    throw new RecordsUnavailableException();
                await WriteAsync(batch, abort);
                if (health.FailingSince is not null)
                    LogRecovered(logger);
                health.Succeeded();
                return;
            }
            catch (Exception ex) when (IsDatabaseFailure(ex) && !abort.IsCancellationRequested)
            {
                health.Failed();
                // The exception's type only: its message can quote the SQL's values, which are what was said.
                LogWriteFailed(logger, ex.GetType().Name, batch.Count, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 200 * Math.Pow(2, Math.Min(attempt, 10)))), abort);
            }
        }
    }

    private static bool IsDatabaseFailure(Exception ex) =>
        ex is DbUpdateException or System.Data.Common.DbException or InvalidOperationException or TimeoutException or IOException or RecordsUnavailableException;

    private async Task<bool> TryMigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
            if (db is SqliteRecordsDbContext)
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(new SqliteConnectionStringBuilder(options.Value.ConnectionString).DataSource))!);
            await db.Database.MigrateAsync(cancellationToken);
            // Readers (History) and the writer do not block each other; persistent once set.
            if (db is SqliteRecordsDbContext)
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            _migrated = true;
            health.Succeeded();
            return true;
        }
        catch (Exception ex) when (IsDatabaseFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            health.Failed();
            LogMigrateFailed(logger, ex.GetType().Name, options.Value.Provider);
            return false;
        }
    }

    private async Task WriteAsync(List<RecordOp> batch, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
        var callIds = batch.Select(op => op.CallId).Distinct().ToList();
        var conversations = await db.Conversations.Include(c => c.Items).Where(c => callIds.Contains(c.CallId)).ToDictionaryAsync(c => c.CallId, cancellationToken);
        foreach (var op in batch)
        {
            if (op is BeginOp begin)
            {
                if (!conversations.TryGetValue(begin.CallId, out var existing))
                {
                    conversations[begin.CallId] = db.Conversations.Add(Start(begin)).Entity;
                }
                else if (existing.EndReason is ServerStopped or InstanceLost)
                {
                    // Taken over after its instance stopped, or taken for lost while Redis was away: the call went on, so its record has not ended.
                    existing.EndedAt = null;
                    existing.EndReason = null;
                }
                continue;
            }
            // Without its beginning (dropped while the queue was full) a change has nothing to belong to.
            if (conversations.TryGetValue(op.CallId, out var conversation))
                Apply(conversation, op);
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private static Conversation Start(BeginOp begin) => new()
    {
        Id = Guid.CreateVersion7(),
        Owner = begin.Call.Owner,
        CallId = begin.CallId,
        StartedAt = begin.At,
        Transport = begin.Call.Transport,
        Model = begin.Call.Model,
        Preset = begin.Call.Preset,
        Voice = begin.Call.Voice,
        ContinuedFrom = begin.Call.ContinuedFrom,
    };

    private static void Apply(Conversation conversation, RecordOp op)
    {
        switch (op)
        {
            case ItemOp added:
                var item = conversation.Items.Find(i => i.ItemId == added.ItemId);
                if (item is null)
                {
                    item = new ConversationItem { ItemId = added.ItemId, At = added.At, Role = added.Role, Sequence = conversation.Items.Count };
                    conversation.Items.Add(item);
                }
                item.PreviousItemId ??= added.PreviousItemId;
                item.Text ??= added.Text;
                item.ToolName ??= added.ToolName;
                item.ToolCallId ??= added.ToolCallId;
                item.ToolArguments ??= added.ToolArguments;
                break;
            case TextOp text when conversation.Items.Find(i => i.ItemId == text.ItemId) is { } said:
                said.Text = text.Text;
                break;
            case CutOp cut when conversation.Items.Find(i => i.ItemId == cut.ItemId) is { } interrupted:
                interrupted.Interrupted = true;
                interrupted.CutAtMs = cut.AudioEndMs;
                break;
            case ToolArgumentsOp arguments when conversation.Items.Find(i => i.ItemId == arguments.ItemId) is { } called:
                called.ToolArguments = arguments.Arguments;
                break;
            case ToolOutputOp output when conversation.Items.Find(i => i.ToolCallId == output.ToolCallId) is { } tool:
                tool.ToolResult = output.Output;
                tool.ToolFailed = output.Failed;
                tool.ToolDurationMs = output.DurationMs;
                break;
            case UsageOp usage:
                conversation.InputTokens += usage.Input;
                conversation.OutputTokens += usage.Output;
                conversation.TotalTokens += usage.Total;
                conversation.CostMicros += usage.CostMicros;
                break;
            case EndOp end:
                conversation.EndedAt ??= end.At;
                conversation.EndReason ??= end.Reason;
                break;
        }
    }

    private sealed class RecordsUnavailableException : Exception;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation records could not be written ({ExceptionType}); {Count} changes kept for retry (attempt {Attempt})")]
    private static partial void LogWriteFailed(ILogger logger, string exceptionType, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The records database ({Provider}) could not be brought up to date ({ExceptionType}); retrying before the next write")]
    private static partial void LogMigrateFailed(ILogger logger, string exceptionType, RecordsProvider provider);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation records are being written again")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping before the records database took the last {Count} changes; they are lost")]
    private static partial void LogLostAtStop(ILogger logger, int count);
}
