using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Tests.Records;

/// <summary>
/// The app with records on one provider (a real SQLite file, or a real PostgreSQL database), and the
/// sideband events of a call as OpenAI sends them.
/// </summary>
public static class RecordsApp
{
    public const string Sqlite = "Sqlite";
    public const string PostgreSQL = "PostgreSQL";

    public static TheoryData<string> Providers => [Sqlite, PostgreSQL];

    public static async Task<Dictionary<string, string?>> SettingsAsync(string provider, PostgresFixture postgres, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Open",
            ["Records:Provider"] = provider,
        };
        if (provider == PostgreSQL)
            settings["ConnectionStrings:Records"] = await postgres.Server.CreateDatabaseAsync();
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return settings;
    }

    public static async Task<string> StartCallAsync(TestApp app, string query = "")
    {
        using var response = await app.Client.PostAsync("/api/realtime/calls" + query, TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open");
        return FakeOpenAI.CallId;
    }

    /// <summary>OpenAI adds the server's function_call_output to the conversation, as it does any item.</summary>
    public static void EchoToolOutputs(TestApp app)
    {
        var outputs = 0;
        app.Fake.Sideband.OnClientEvent = async json =>
        {
            var clientEvent = JsonNode.Parse(json)!;
            if (clientEvent["type"]?.GetValue<string>() == "conversation.item.create" && clientEvent["item"]?["type"]?.GetValue<string>() == "function_call_output")
            {
                var item = clientEvent["item"]!.DeepClone().AsObject();
                item["id"] = $"item_out_{++outputs}";
                await app.Fake.Sideband.SendAsync(new JsonObject { ["type"] = "conversation.item.added", ["previous_item_id"] = "item_call", ["item"] = item }.ToJsonString());
            }
        };
    }

    public static string Added(string id, string? previous, string role, string contentType, string? text) =>
        new JsonObject
        {
            ["type"] = "conversation.item.added",
            ["previous_item_id"] = previous,
            ["item"] = new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = role,
                ["content"] = new JsonArray(new JsonObject { ["type"] = contentType, [contentType.EndsWith("audio", StringComparison.Ordinal) ? "transcript" : "text"] = text }),
            },
        }.ToJsonString();

    /// <summary>
    /// A conversation with typed text, speech whose transcription completes late (after the reply), an
    /// interrupted reply, a tool call answered by the server, and usage.
    /// </summary>
    public static async Task SpeakAsync(TestApp app)
    {
        var sideband = app.Fake.Sideband;
        await sideband.SendAsync(Added("item_text", null, "user", "input_text", "What's the weather in Tokyo?"));
        await sideband.SendAsync("""{"type":"conversation.item.added","previous_item_id":"item_text","item":{"id":"item_call","type":"function_call","call_id":"call_1","name":"get_weather","arguments":""}}""");
        await sideband.SendAsync("""{"type":"response.function_call_arguments.done","item_id":"item_call","call_id":"call_1","arguments":"{\"city\":\"Tokyo\"}"}""");
        await sideband.SendAsync("""{"type":"response.output_item.done","response_id":"resp_1","item":{"id":"item_call","type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}""");
        await sideband.SendAsync("""{"type":"response.done","response":{"id":"resp_1","status":"completed","output":[{"id":"item_call","type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}],"usage":{"total_tokens":300,"input_tokens":200,"output_tokens":100,"input_token_details":{"text_tokens":200},"output_token_details":{"text_tokens":100}}}}""");
        await Await.UntilAsync(() => app.Fake.Sideband.Received.Any(json => json.Contains("\"response.create\"")), "the tool's answer");
        await sideband.SendAsync(Added("item_reply", "item_out_1", "assistant", "output_audio", null));
        await sideband.SendAsync("""{"type":"response.output_audio_transcript.done","item_id":"item_reply","transcript":"It is sunny in Tokyo."}""");
        // Spoken next; its transcription arrives after the reply to it has started.
        await sideband.SendAsync(Added("item_speech", "item_reply", "user", "input_audio", null));
        await sideband.SendAsync(Added("item_answer", "item_speech", "assistant", "output_audio", null));
        await sideband.SendAsync("""{"type":"response.output_audio_transcript.done","item_id":"item_answer","transcript":"You are welcome, and"}""");
        await sideband.SendAsync("""{"type":"conversation.item.input_audio_transcription.completed","item_id":"item_speech","content_index":0,"transcript":"Thank you!"}""");
        await sideband.SendAsync("""{"type":"conversation.item.truncated","item_id":"item_answer","content_index":0,"audio_end_ms":1500}""");
        await sideband.SendAsync("""{"type":"response.done","response":{"id":"resp_2","status":"cancelled","output":[],"usage":{"total_tokens":50,"input_tokens":30,"output_tokens":20,"input_token_details":{"audio_tokens":30},"output_token_details":{"audio_tokens":20}}}}""");
    }

    /// <summary>
    /// The controller handles a call's events in order: once its count shows the last reply's usage, it
    /// has seen everything before it.
    /// </summary>
    public static Task HandledAsync(TestApp app, string callId = FakeOpenAI.CallId) =>
        Await.UntilAsync(async () => (await app.Client.GetStringAsync($"/api/realtime/calls/{callId}")).Contains("\"total\":350"), "the call's last event handled", TimeSpan.FromSeconds(30));

    /// <summary>The lines a user would read, in conversation order.</summary>
    public static readonly string[] SpokenLines =
    [
        "User: What's the weather in Tokyo?",
        "Tool get_weather {\"city\":\"Tokyo\"} -> Sunny in Tokyo",
        "Assistant: It is sunny in Tokyo.",
        "User: Thank you!",
        "Assistant: You are welcome, and [cut at 1500 ms]",
    ];

    public static string Line(ConversationItem item) => item.Role switch
    {
        ItemRole.Tool => $"Tool {item.ToolName} {item.ToolArguments} -> {(item.ToolFailed ? "failed" : item.ToolResult)}",
        _ => $"{item.Role}: {item.Text}" + (item.Interrupted ? $" [cut at {item.CutAtMs} ms]" : ""),
    };

    public static async Task<Conversation?> ConversationAsync(IServiceProvider services, string callId)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
        var conversation = await db.Conversations.AsNoTracking().Include(c => c.Items).SingleOrDefaultAsync(c => c.CallId == callId);
        if (conversation is not null)
            conversation.Items = RecordsStore.InConversationOrder(conversation.Items);
        return conversation;
    }

    public static async Task<Conversation> RecordedAsync(IServiceProvider services, string callId, Func<Conversation, bool> done, string what)
    {
        Conversation? conversation = null;
        await Await.UntilAsync(async () => (conversation = await ConversationAsync(services, callId)) is { } c && done(c), what, TimeSpan.FromSeconds(30));
        return conversation!;
    }

    /// <summary>A record in the PostgreSQL database several app processes share, read as History reads it.</summary>
    public static async Task<Conversation> RecordedInPostgresAsync(string connection, string callId, Func<Conversation, bool> done, string what)
    {
        await using var services = new ServiceCollection()
            .AddDbContext<PostgresRecordsDbContext>(db => db.UseNpgsql(connection))
            .AddScoped<RecordsDbContext>(s => s.GetRequiredService<PostgresRecordsDbContext>())
            .BuildServiceProvider();
        Conversation? conversation = null;
        // Generous: both instances migrate the fresh database at startup, one of them retrying with backoff.
        await Await.UntilAsync(async () => (conversation = await ConversationAsync(services, callId)) is { } c && done(c), what, TimeSpan.FromSeconds(60));
        return conversation!;
    }
}
