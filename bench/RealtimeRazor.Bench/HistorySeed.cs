using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace RealtimeRazor.Bench;

/// <summary>
/// A records database as a busy site would have it, written in bulk straight into the app's schema:
/// one prepared INSERT in a single transaction for SQLite, binary COPY for PostgreSQL. Deterministic
/// (fixed seed), so every run searches the same text.
/// </summary>
internal sealed class HistorySeed(string owner, int ownerConversations, int conversations, int itemsPerConversation)
{
    public const string CommonWord = "weather";
    public const string RareWord = "zanzibar";
    public const string AbsentWord = "xylophone";
    public const int RareEvery = 500;
    public const int OtherOwners = 40;

    public static readonly string[] Vocabulary = BuildVocabulary();

    /// <summary>The user's newest conversation (the first row of their History).</summary>
    public Guid NewestUserConversation { get; private set; }

    private static string[] BuildVocabulary()
    {
        string[] common =
        [
            "the", "a", "to", "and", "of", "in", "is", "it", "you", "that", "for", "on", "with", "as", "was", "what", "how", "can", "me", "my",
            "we", "they", "this", "there", "would", "could", "should", "about", "today", "tomorrow", "time", "train", "meeting", "please", "thanks",
            "book", "table", "dinner", "flight", "hotel", "music", "play", "song", "call", "message", "email", "reminder", "list", "shopping", "milk",
            "bread", "coffee", "tea", "doctor", "appointment", "morning", "evening", "night", "week", "weekend", "price", "cost", "cheap", "open",
            "close", "near", "far", "city", "station", "airport", "taxi", "bus", "walk", "minutes", "hours", "sunny", "rain", "cloudy", "cold",
            "warm", "temperature", "degrees", "forecast", "news", "sport", "score", "team", "game", "recipe", "cook", "oven", "pasta", "rice",
            "chicken", "vegetables", "translate", "language", "word", "meaning", "spell", "answer", "question", "help", "sure", "okay", "yes", "no",
        ];
        // Plus made-up words, so the text is not only the commonest ones.
        var random = new Random(7);
        var made = Enumerable.Range(0, 400).Select(_ => new string([.. Enumerable.Range(0, random.Next(4, 10)).Select(_ => (char)('a' + random.Next(26)))]));
        return [.. common, CommonWord, .. made.Where(w => !w.Contains(RareWord, StringComparison.Ordinal) && !w.Contains(AbsentWord, StringComparison.Ordinal))];
    }

    public static string Sentence(Random random)
    {
        var words = Enumerable.Range(0, random.Next(6, 16)).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]).ToArray();
        words[0] = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(words[0]);
        return string.Join(' ', words) + ".";
    }

    private sealed record Row(Guid Id, string Owner, string CallId, DateTime StartedAt, long Cost);

    private sealed record ItemRow(Guid ConversationId, string ItemId, string? PreviousItemId, int Sequence, DateTime At, string Role, string? Text,
        string? ToolName, string? ToolCallId, string? ToolArguments, string? ToolResult, int? ToolDurationMs);

    /// <summary>
    /// Conversations oldest first, as a site's records grow (row ids follow time): the user's every
    /// (conversations ÷ ownerConversations)th, the others' the rest.
    /// </summary>
    private IEnumerable<(Row Conversation, IEnumerable<ItemRow> Items)> Generate()
    {
        var random = new Random(42);
        var now = DateTime.UtcNow;
        var span = TimeSpan.FromDays(29);
        var userEvery = conversations / ownerConversations;
        var userIndex = 0;
        for (var i = conversations - 1; i >= 0; i--)
        {
            var isUser = i % userEvery == 0;
            var rowOwner = isUser ? owner : $"bench:user{i % OtherOwners}";
            var started = now - span * ((i + 1.0) / conversations);
            var id = Guid.CreateVersion7(new DateTimeOffset(started));
            if (i == 0)
                NewestUserConversation = id;
            var rare = isUser && userIndex++ % RareEvery == RareEvery / 2;
            var row = new Row(id, rowOwner, $"rtc_seed_{i}", started, random.Next(1_000, 200_000));
            yield return (row, Items(row, random, rare));
        }
    }

    private IEnumerable<ItemRow> Items(Row conversation, Random random, bool rare)
    {
        for (var n = 0; n < itemsPerConversation; n++)
        {
            var at = conversation.StartedAt.AddSeconds(n * 7);
            var previous = n == 0 ? null : $"item_{n - 1}";
            if (n % 10 == 5)
            {
                yield return new ItemRow(conversation.Id, $"item_{n}", previous, n, at, "Tool", null, "current_time", $"call_{n}", "{}",
                    "{\"utc\":\"2026-12-01T05:00:00Z\"}", random.Next(1, 20));
                continue;
            }
            var text = Sentence(random);
            if (rare && n == itemsPerConversation / 2)
                text = text[..^1] + " " + RareWord + ".";
            yield return new ItemRow(conversation.Id, $"item_{n}", previous, n, at, n % 2 == 0 ? "User" : "Assistant", text, null, null, null, null, null);
        }
    }

    /// <remarks>Synchronous per row: a million awaits of a command that never yields only add overhead.</remarks>
    public async Task SqliteAsync(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        // As a bulk import would: the search index's insert trigger is set aside and the index rebuilt once at
        // the end (row by row it takes many times longer); the trigger is put back exactly as the migration made it.
        await using var triggerSql = connection.CreateCommand();
        triggerSql.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'conversation_items_search_insert'";
        var insertTrigger = (string?)await triggerSql.ExecuteScalarAsync();
        await using var transaction = connection.BeginTransaction();
        if (insertTrigger is not null)
            await Sql(connection, "DROP TRIGGER conversation_items_search_insert");
        await using var conversation = connection.CreateCommand();
        conversation.CommandText = """
            INSERT INTO conversations (Id, Owner, CallId, StartedAt, EndedAt, EndReason, Transport, Model, Preset, Voice, ContinuedFrom, InputTokens, OutputTokens, TotalTokens, CostMicros)
            VALUES ($id, $owner, $call, $started, $ended, 'ended', 'webrtc', 'gpt-realtime', NULL, 'marin', NULL, 3000, 1200, 4200, $cost)
            """;
        var (cId, cOwner, cCall, cStarted, cEnded, cCost) = (conversation.Parameters.Add("$id", SqliteType.Text), conversation.Parameters.Add("$owner", SqliteType.Text),
            conversation.Parameters.Add("$call", SqliteType.Text), conversation.Parameters.Add("$started", SqliteType.Text),
            conversation.Parameters.Add("$ended", SqliteType.Text), conversation.Parameters.Add("$cost", SqliteType.Integer));
        await using var item = connection.CreateCommand();
        item.CommandText = """
            INSERT INTO conversation_items (ConversationId, ItemId, PreviousItemId, Sequence, At, Role, Text, Interrupted, CutAtMs, ToolName, ToolCallId, ToolArguments, ToolResult, ToolFailed, ToolDurationMs)
            VALUES ($conversation, $item, $previous, $sequence, $at, $role, $text, 0, NULL, $tool, $toolCall, $arguments, $result, 0, $duration)
            """;
        string[] names = ["$conversation", "$item", "$previous", "$sequence", "$at", "$role", "$text", "$tool", "$toolCall", "$arguments", "$result", "$duration"];
        var p = names.Select(name => item.Parameters.Add(name, SqliteType.Text)).ToArray();
        conversation.Prepare();
        item.Prepare();
        foreach (var (row, items) in Generate())
        {
            // The formats EF Core's SQLite provider writes: GUIDs as upper-case text, times as "yyyy-MM-dd HH:mm:ss.FFFFFFF".
            cId.Value = SqliteGuid(row.Id);
            cOwner.Value = row.Owner;
            cCall.Value = row.CallId;
            cStarted.Value = SqliteTime(row.StartedAt);
            cEnded.Value = SqliteTime(row.StartedAt.AddSeconds(itemsPerConversation * 7));
            cCost.Value = row.Cost;
            conversation.ExecuteNonQuery();
            foreach (var i in items)
            {
                object?[] values = [SqliteGuid(i.ConversationId), i.ItemId, i.PreviousItemId, i.Sequence, SqliteTime(i.At), i.Role, i.Text, i.ToolName, i.ToolCallId, i.ToolArguments, i.ToolResult, i.ToolDurationMs];
                for (var v = 0; v < values.Length; v++)
                    p[v].Value = values[v] ?? DBNull.Value;
                item.ExecuteNonQuery();
            }
        }
        if (insertTrigger is not null)
        {
            await Sql(connection, "INSERT INTO conversation_items_search(conversation_items_search) VALUES ('rebuild')");
            await Sql(connection, insertTrigger);
        }
        await transaction.CommitAsync();
    }

    private static async Task Sql(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static string SqliteGuid(Guid id) => id.ToString().ToUpperInvariant();

    private static string SqliteTime(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    public async Task PostgresAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var all = Generate().Select(g => (g.Conversation, Items: g.Items.ToList())).ToList();
        await using (var writer = await connection.BeginBinaryImportAsync(
            """COPY conversations ("Id", "Owner", "CallId", "StartedAt", "EndedAt", "EndReason", "Transport", "Model", "Voice", "InputTokens", "OutputTokens", "TotalTokens", "CostMicros") FROM STDIN (FORMAT BINARY)"""))
        {
            foreach (var (row, _) in all)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(row.Id, NpgsqlDbType.Uuid);
                await writer.WriteAsync(row.Owner, NpgsqlDbType.Varchar);
                await writer.WriteAsync(row.CallId, NpgsqlDbType.Varchar);
                await writer.WriteAsync(row.StartedAt, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(row.StartedAt.AddSeconds(itemsPerConversation * 7), NpgsqlDbType.TimestampTz);
                await writer.WriteAsync("ended", NpgsqlDbType.Varchar);
                await writer.WriteAsync("webrtc", NpgsqlDbType.Varchar);
                await writer.WriteAsync("gpt-realtime", NpgsqlDbType.Varchar);
                await writer.WriteAsync("marin", NpgsqlDbType.Varchar);
                await writer.WriteAsync(3000L, NpgsqlDbType.Bigint);
                await writer.WriteAsync(1200L, NpgsqlDbType.Bigint);
                await writer.WriteAsync(4200L, NpgsqlDbType.Bigint);
                await writer.WriteAsync(row.Cost, NpgsqlDbType.Bigint);
            }
            await writer.CompleteAsync();
        }
        await using (var writer = await connection.BeginBinaryImportAsync(
            """COPY conversation_items ("ConversationId", "ItemId", "PreviousItemId", "Sequence", "At", "Role", "Text", "Interrupted", "ToolName", "ToolCallId", "ToolArguments", "ToolResult", "ToolFailed", "ToolDurationMs") FROM STDIN (FORMAT BINARY)"""))
        {
            foreach (var i in all.SelectMany(c => c.Items))
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(i.ConversationId, NpgsqlDbType.Uuid);
                await writer.WriteAsync(i.ItemId, NpgsqlDbType.Varchar);
                await WriteAsync(writer, i.PreviousItemId, NpgsqlDbType.Varchar);
                await writer.WriteAsync(i.Sequence, NpgsqlDbType.Integer);
                await writer.WriteAsync(i.At, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(i.Role, NpgsqlDbType.Varchar);
                await WriteAsync(writer, i.Text, NpgsqlDbType.Text);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                await WriteAsync(writer, i.ToolName, NpgsqlDbType.Varchar);
                await WriteAsync(writer, i.ToolCallId, NpgsqlDbType.Varchar);
                await WriteAsync(writer, i.ToolArguments, NpgsqlDbType.Text);
                await WriteAsync(writer, i.ToolResult, NpgsqlDbType.Text);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                if (i.ToolDurationMs is { } duration)
                    await writer.WriteAsync(duration, NpgsqlDbType.Integer);
                else
                    await writer.WriteNullAsync();
            }
            await writer.CompleteAsync();
        }
        // What autovacuum would have done on a site by the time it held this much.
        await using var analyze = new NpgsqlCommand("ANALYZE", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    private static async Task WriteAsync(NpgsqlBinaryImporter writer, string? value, NpgsqlDbType type)
    {
        if (value is null)
            await writer.WriteNullAsync();
        else
            await writer.WriteAsync(value, type);
    }
}
