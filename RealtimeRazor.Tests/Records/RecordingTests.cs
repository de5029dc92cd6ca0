using System.ComponentModel;
using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Tests.Records;

/// <summary>
/// Conversations kept from the server's own view of each call (its sideband), on a real SQLite file and a
/// real PostgreSQL: every line in conversation order, tool calls with their outcome, usage, the call's end;
/// and nothing already said is lost to a stop or a database that goes away for a while.
/// </summary>
public sealed class RecordingTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static void WeatherTool(IServiceCollection services) =>
        services.AddSingleton(AIFunctionFactory.Create(([Description("City")] string city) => $"Sunny in {city}", "get_weather", "Today's weather in a city."));

    private async Task<TestApp> AppAsync(string provider, Dictionary<string, string?>? extra = null) =>
        new(await RecordsApp.SettingsAsync(provider, postgres, extra), services: WeatherTool);

    [Theory]
    [MemberData(nameof(RecordsApp.Providers), MemberType = typeof(RecordsApp))]
    public async Task A_call_is_kept_line_by_line_in_conversation_order_with_its_tool_call_usage_and_end(string provider)
    {
        using var app = await AppAsync(provider);
        var callId = await RecordsApp.StartCallAsync(app);
        RecordsApp.EchoToolOutputs(app);

        await RecordsApp.SpeakAsync(app);
        await RecordsApp.HandledAsync(app);
        using (var hangUp = await app.Client.DeleteAsync($"/api/realtime/calls/{callId}"))
            Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);

        var conversation = await RecordsApp.RecordedAsync(app.Factory.Services, callId, c => c.EndedAt is not null, "the call's end in the record");
        Assert.Equal(RecordsApp.SpokenLines, conversation.Items.Select(RecordsApp.Line));
        Assert.StartsWith("browser:", conversation.Owner, StringComparison.Ordinal);
        Assert.Equal((350, 230, 120), (conversation.TotalTokens, conversation.InputTokens, conversation.OutputTokens));
        Assert.Equal(("webrtc", "gpt-realtime", "marin", "ended"), (conversation.Transport, conversation.Model, conversation.Voice, conversation.EndReason));
        var tool = conversation.Items.Single(i => i.Role == ItemRole.Tool);
        Assert.False(tool.ToolFailed);
        Assert.NotNull(tool.ToolDurationMs);
    }

    [Fact]
    public async Task A_call_another_instance_took_for_lost_while_Redis_was_away_gets_its_record_back_when_its_slot_is_registered_again()
    {
        using var app = await AppAsync(RecordsApp.Sqlite);
        var callId = await RecordsApp.StartCallAsync(app);
        RecordsApp.EchoToolOutputs(app);
        await RecordsApp.SpeakAsync(app);
        await RecordsApp.HandledAsync(app);
        var recorder = app.Factory.Services.GetRequiredService<CallRecorder>();

        // What the sweep of an instance that saw the call's slot lapse does, and then what this instance's renewal does when it registers the slot again.
        recorder.Lost(callId);
        Assert.Equal("instance_lost", (await RecordsApp.RecordedAsync(app.Factory.Services, callId, c => c.EndedAt is not null, "the record taken for lost")).EndReason);
        recorder.StillLive(callId);
        await RecordsApp.RecordedAsync(app.Factory.Services, callId, c => c.EndedAt is null, "the record open again");

        using (var hangUp = await app.Client.DeleteAsync($"/api/realtime/calls/{callId}"))
            Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);
        var conversation = await RecordsApp.RecordedAsync(app.Factory.Services, callId, c => c.EndedAt is not null, "the call's own end in the record");
        Assert.Equal("ended", conversation.EndReason);
        Assert.Equal(RecordsApp.SpokenLines, conversation.Items.Select(RecordsApp.Line));
    }

    [Fact]
    public async Task Records_off_keeps_nothing_and_the_call_works_as_before()
    {
        using var app = await AppAsync(RecordsApp.Sqlite, new() { ["Records:Enabled"] = "false" });
        await RecordsApp.StartCallAsync(app);
        RecordsApp.EchoToolOutputs(app);
        await RecordsApp.SpeakAsync(app);

        Assert.Empty(Directory.EnumerateFiles(app.Factory.RecordsDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Stopping_the_server_mid_call_writes_everything_already_said_before_it_exits()
    {
        var directory = Directory.CreateTempSubdirectory("rr-stop-").FullName;
        var file = Path.Combine(directory, "records.db");
        // A short busy timeout: the writer sees the held lock fail fast and retries, as with any database hiccup.
        var connection = $"Data Source={file};Default Timeout=1";
        var app = await AppAsync(RecordsApp.Sqlite, new() { ["ConnectionStrings:Records"] = connection });
        var callId = await RecordsApp.StartCallAsync(app);
        RecordsApp.EchoToolOutputs(app);

        // Another process holds the write lock: the records wait in the queue while the call goes on.
        await using (var blocker = new SqliteConnection(connection))
        {
            await blocker.OpenAsync();
            await using (var lockCommand = blocker.CreateCommand())
            {
                lockCommand.CommandText = "BEGIN IMMEDIATE;";
                await lockCommand.ExecuteNonQueryAsync();
            }
            await RecordsApp.SpeakAsync(app);
            // The controller has handled the last event (its usage counts it) before the stop begins.
            await RecordsApp.HandledAsync(app);

            var stopping = Task.Run(app.Dispose);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(stopping.IsCompleted, "the stop waits for the records");
            await using var release = blocker.CreateCommand();
            release.CommandText = "ROLLBACK;";
            await release.ExecuteNonQueryAsync();
            await stopping.WaitAsync(TimeSpan.FromSeconds(60));
        }

        var services = new ServiceCollection().AddDbContext<SqliteRecordsDbContext>(db => db.UseSqlite(connection))
            .AddScoped<RecordsDbContext>(s => s.GetRequiredService<SqliteRecordsDbContext>()).BuildServiceProvider();
        var conversation = await RecordsApp.ConversationAsync(services, callId);
        Assert.NotNull(conversation);
        Assert.Equal(RecordsApp.SpokenLines, conversation.Items.Select(RecordsApp.Line));
        Assert.Equal("server_stopped", conversation.EndReason);
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task PostgreSQL_stopped_mid_call_the_call_goes_on_readyz_says_so_and_the_records_arrive_once_it_is_back()
    {
        using var app = await AppAsync(RecordsApp.PostgreSQL);
        var callId = await RecordsApp.StartCallAsync(app);
        RecordsApp.EchoToolOutputs(app);

        await postgres.Server.StopAsync();
        try
        {
            await RecordsApp.SpeakAsync(app);
            // The call itself went on: the tool was answered and the server counted the usage.
            await RecordsApp.HandledAsync(app);
            await Await.UntilAsync(async () =>
            {
                using var ready = await app.Client.GetAsync("/readyz");
                return (await ready.Content.ReadAsStringAsync()) == "Degraded";
            }, "/readyz to report the records database", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await postgres.Server.StartAsync();
        }

        var conversation = await RecordsApp.RecordedAsync(app.Factory.Services, callId, c => c.Items.Count == 5 && c.TotalTokens == 350, "the records after the database is back");
        Assert.Equal(RecordsApp.SpokenLines, conversation.Items.Select(RecordsApp.Line));
        using var readyAgain = await app.Client.GetAsync("/readyz");
        Assert.Equal("Healthy", await readyAgain.Content.ReadAsStringAsync());
    }
}
