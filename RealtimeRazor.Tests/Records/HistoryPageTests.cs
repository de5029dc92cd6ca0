using System.ComponentModel;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Tests.Records;

/// <summary>
/// History as its user meets it, on both providers: the list, search over what was said, the conversation
/// page in conversation order, exports, delete; Continue gives a new call the server's own context; and
/// nobody else ever reaches any of it.
/// </summary>
public sealed partial class HistoryPageTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static void WeatherTool(IServiceCollection services) =>
        services.AddSingleton(AIFunctionFactory.Create(([Description("City")] string city) => $"Sunny in {city}", "get_weather", "Today's weather in a city."));

    private async Task<TestApp> AppAsync(string provider, Dictionary<string, string?>? extra = null, Action<IServiceCollection>? services = null) =>
        new(await RecordsApp.SettingsAsync(provider, postgres, extra), services: s =>
        {
            WeatherTool(s);
            services?.Invoke(s);
        });

    /// <summary>A whole call, hung up: its record is complete.</summary>
    private static async Task<Guid> RecordCallAsync(TestApp app)
    {
        var callId = await RecordsApp.StartCallAsync(app);
        RecordsApp.EchoToolOutputs(app);
        await RecordsApp.SpeakAsync(app);
        await RecordsApp.HandledAsync(app);
        using (var hangUp = await app.Client.DeleteAsync($"/api/realtime/calls/{callId}"))
            Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);
        return (await RecordsApp.RecordedAsync(app.Factory.Services, callId, c => c.EndedAt is not null, "the record")).Id;
    }

    [GeneratedRegex("<li data-speaker=\"[a-z]+\"><span class=\"speaker\">([^<]*)</span><span class=\"text\">([^<]*)</span></li>")]
    private static partial Regex Line();

    private static string[] Lines(string html) =>
        [.. Line().Matches(html).Select(m => WebUtility.HtmlDecode($"{m.Groups[1].Value}: {m.Groups[2].Value}"))];

    [Theory]
    [MemberData(nameof(RecordsApp.Providers), MemberType = typeof(RecordsApp))]
    public async Task History_lists_the_call_finds_it_by_what_was_said_and_shows_every_line_in_order(string provider)
    {
        using var app = await AppAsync(provider);
        var id = await RecordCallAsync(app);

        var history = await app.Client.GetStringAsync("/history");
        Assert.Contains($"href=\"history/{id}\"", history);
        Assert.Contains("Conversations are kept for 30 days", history);
        Assert.Contains("belongs to this browser", history);
        Assert.Contains($"href=\"history/{id}\"", await app.Client.GetStringAsync("/history?q=thank%20YOU"));
        Assert.DoesNotContain($"href=\"history/{id}\"", await app.Client.GetStringAsync("/history?q=Paris"));
        // The user's % is a character, not a pattern.
        Assert.DoesNotContain($"href=\"history/{id}\"", await app.Client.GetStringAsync("/history?q=%25"));

        var page = await app.Client.GetStringAsync($"/history/{id}");
        Assert.Equal(
            [
                "You: What's the weather in Tokyo?",
                "Tool: get_weather {\"city\":\"Tokyo\"} → Sunny in Tokyo",
                "Assistant: It is sunny in Tokyo.",
                "You: Thank you!",
                "Assistant: You are welcome, and (interrupted after 1.5 s)",
            ], Lines(page));
        Assert.Contains(">350<", page);

        var markdown = await app.Client.GetStringAsync($"/history/{id}?handler=markdown");
        Assert.True(markdown.IndexOf("**You:** What's the weather in Tokyo?", StringComparison.Ordinal) < markdown.IndexOf("**You:** Thank you!", StringComparison.Ordinal), markdown);
        var json = JsonNode.Parse(await app.Client.GetStringAsync($"/history/{id}?handler=json"))!;
        Assert.Equal(["item_text", "item_call", "item_reply", "item_speech", "item_answer"], json["items"]!.AsArray().Select(i => (string)i!["itemId"]!));
        Assert.Equal("Sunny in Tokyo", (string?)json["items"]![1]!["tool"]!["result"]);
        Assert.Equal(1500, (int?)json["items"]![4]!["cutAtMs"]);
    }

    [Theory]
    [MemberData(nameof(RecordsApp.Providers), MemberType = typeof(RecordsApp))]
    public async Task Another_browser_sees_none_of_it_and_gets_404_for_the_conversation_its_exports_and_delete(string provider)
    {
        using var app = await AppAsync(provider);
        var id = await RecordCallAsync(app);
        using var stranger = app.Factory.CreateClient(new() { AllowAutoRedirect = false });

        Assert.DoesNotContain($"history/{id}", await stranger.GetStringAsync("/history"));
        foreach (var path in new[] { $"/history/{id}", $"/history/{id}?handler=markdown", $"/history/{id}?handler=json" })
        {
            using var response = await stranger.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        var token = Passcodes.AntiforgeryToken(await stranger.GetStringAsync("/history"));
        using (var delete = await stranger.PostAsync($"/history/{id}?handler=delete", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token })))
            Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        // Nor can it continue it: the server refuses before anything reaches OpenAI.
        using (var continued = await stranger.PostAsync($"/api/realtime/calls?continue={id}", TestApp.Sdp(TestData.Offer)))
        {
            Assert.Equal(HttpStatusCode.NotFound, continued.StatusCode);
            Assert.Contains("conversation_not_found", await continued.Content.ReadAsStringAsync());
        }
        Assert.Single(app.Fake.Requests("/realtime/calls"));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/history/{id}")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(RecordsApp.Providers), MemberType = typeof(RecordsApp))]
    public async Task Search_finds_any_substring_in_any_language_takes_the_query_as_plain_text_and_forgets_deleted_conversations(string provider)
    {
        using var app = await AppAsync(provider);
        var callId = await RecordsApp.StartCallAsync(app);
        RecordsApp.EchoToolOutputs(app);
        await RecordsApp.SpeakAsync(app);
        await app.Fake.Sideband.SendAsync(RecordsApp.Added("item_ja", "item_answer", "user", "input_text", "明日の東京の天気を教えて"));
        var id = (await RecordsApp.RecordedAsync(app.Factory.Services, callId,
            c => c.Items.Any(i => i.ItemId == "item_ja") && c.Items.Any(i => i.Text == "Thank you!"), "the record")).Id;
        async Task<bool> FindsAsync(string q)
        {
            using var response = await app.Client.GetAsync("/history?q=" + Uri.EscapeDataString(q));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadAsStringAsync()).Contains($"href=\"history/{id}\"", StringComparison.Ordinal);
        }

        // Inside words, across them, in any case; a line whose text came after the line itself (a late transcription).
        Assert.True(await FindsAsync("SUNNY in tok"));
        Assert.True(await FindsAsync("ank yo"));
        // Japanese has no spaces between words; two characters are shorter than SQLite's index pieces.
        Assert.True(await FindsAsync("東京の天気"));
        Assert.True(await FindsAsync("天気"));
        Assert.True(await FindsAsync("ky"));
        // Query syntax of either database is only text to find.
        foreach (var literal in new[] { "\"", "weather\" OR \"Paris", "NEAR(sunny Tokyo)", "tok*", "Tok_o", "sunny%Tokyo" })
            Assert.False(await FindsAsync(literal), literal);

        await using (var scope = app.Factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RecordsDbContext>().Conversations.Where(c => c.Id == id).ExecuteDeleteAsync();
        Assert.False(await FindsAsync("SUNNY in tok"));
        Assert.False(await FindsAsync("天気"));
    }

    [Theory]
    [MemberData(nameof(RecordsApp.Providers), MemberType = typeof(RecordsApp))]
    public async Task Search_pages_newest_first_for_a_common_phrase_one_said_only_long_ago_and_one_never_said(string provider)
    {
        // More conversations than PostgreSQL's bounded walk over the newest ones reads: a common phrase is found
        // by the walk, one said only in the oldest conversations (and on a deep page) by the index after it.
        const int Count = 500;
        using var app = await AppAsync(provider);
        var started = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        Conversation Said(string owner, int minute, string text) => new()
        {
            Id = Guid.NewGuid(), Owner = owner, CallId = Guid.NewGuid().ToString("N"), StartedAt = started.AddMinutes(minute),
            Transport = "webrtc", Model = "gpt-realtime", Voice = "marin",
            Items = [new() { ItemId = "item_" + minute, Role = ItemRole.User, Text = text, At = started.AddMinutes(minute) }],
        };
        var mine = Enumerable.Range(0, Count).Select(minute => Said("me", minute,
            (minute % 2 == 0 ? "How is the Weather today?" : "Tell me a story.") + (minute < 2 ? " A trip to Zanzibar." : ""))).ToList();
        await using (var scope = app.Factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
            db.Conversations.AddRange(mine);
            db.Conversations.Add(Said("someone else", Count, "Zanzibar and the weather"));
            await db.SaveChangesAsync();
        }
        async Task<(Guid[] Ids, bool More)> SearchAsync(string q, int page)
        {
            await using var scope = app.Factory.Services.CreateAsyncScope();
            var (found, more) = await scope.ServiceProvider.GetRequiredService<RecordsStore>().ListAsync("me", page, q, CancellationToken.None);
            return ([.. found.Select(s => s.Id)], more);
        }
        Guid[] Newest(Func<Conversation, bool> says, int page) =>
            [.. mine.Where(says).OrderByDescending(c => c.StartedAt).Skip(page * RecordsStore.PageSize).Take(RecordsStore.PageSize).Select(c => c.Id)];
        bool Weather(Conversation c) => c.Items[0].Text!.Contains("weather", StringComparison.OrdinalIgnoreCase);

        var first = await SearchAsync("wEATHER", 0);
        Assert.Equal(Newest(Weather, 0), first.Ids);
        Assert.True(first.More);
        Assert.Equal(Newest(Weather, 1), (await SearchAsync("wEATHER", 1)).Ids);
        // Page 12 holds the last 10 of the 250 conversations that say it, the oldest.
        var last = await SearchAsync("wEATHER", 12);
        Assert.Equal(Newest(Weather, 12), last.Ids);
        Assert.Equal(10, last.Ids.Length);
        Assert.False(last.More);
        var longAgo = await SearchAsync("zanzibar", 0);
        Assert.Equal([mine[1].Id, mine[0].Id], longAgo.Ids);
        Assert.False(longAgo.More);
        Assert.Empty((await SearchAsync("xylophone", 0)).Ids);
        Assert.Empty((await SearchAsync("weather_", 0)).Ids);
    }

    [Fact]
    public async Task Delete_removes_the_conversation_and_a_cross_site_delete_is_refused()
    {
        using var app = await AppAsync(RecordsApp.Sqlite);
        var id = await RecordCallAsync(app);
        var token = Passcodes.AntiforgeryToken(await app.Client.GetStringAsync($"/history/{id}"));
        FormUrlEncodedContent Form() => new(new Dictionary<string, string> { ["__RequestVerificationToken"] = token });

        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, $"/history/{id}?handler=delete") { Content = Form() })
        {
            crossSite.Headers.Add("Origin", "https://evil.example");
            crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
            using var refused = await app.Client.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/history/{id}")).StatusCode);

        using (var delete = await app.Client.PostAsync($"/history/{id}?handler=delete", Form()))
        {
            Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);
            Assert.EndsWith("/history", delete.Headers.Location!.OriginalString);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"/history/{id}")).StatusCode);
        Assert.Contains("No conversations yet.", await app.Client.GetStringAsync("/history"));
    }

    [Theory]
    [MemberData(nameof(RecordsApp.Providers), MemberType = typeof(RecordsApp))]
    public async Task Continue_starts_a_call_whose_session_carries_the_last_turns_from_the_servers_record(string provider)
    {
        using var app = await AppAsync(provider);
        var id = await RecordCallAsync(app);

        using (var continued = await app.Client.PostAsync($"/api/realtime/calls?continue={id}", TestApp.Sdp(TestData.Offer)))
            Assert.Equal(HttpStatusCode.Created, continued.StatusCode);

        var sent = await app.UpstreamRequestsAsync("/realtime/calls", 2);
        var fields = await Multipart.ReadFieldsAsync(sent[1].RequestMessage!.Headers!["Content-Type"].First(), sent[1].RequestMessage!.Body!);
        var instructions = (string)JsonNode.Parse(fields["session"])!["instructions"]!;
        Assert.StartsWith(app.Realtime.Instructions, instructions, StringComparison.Ordinal);
        var context = instructions[app.Realtime.Instructions.Length..];
        Assert.Contains("User: What's the weather in Tokyo?", context);
        Assert.True(context.IndexOf("Assistant: It is sunny in Tokyo.", StringComparison.Ordinal) < context.IndexOf("User: Thank you!", StringComparison.Ordinal), context);
        // The first call's session had none of it.
        var first = await Multipart.ReadFieldsAsync(sent[0].RequestMessage!.Headers!["Content-Type"].First(), sent[0].RequestMessage!.Body!);
        Assert.DoesNotContain("Tokyo", first["session"]);
    }

    [Theory]
    [MemberData(nameof(RecordsApp.Providers), MemberType = typeof(RecordsApp))]
    public async Task Continue_in_Direct_mode_mints_a_secret_whose_session_carries_the_last_turns_from_the_servers_record(string provider)
    {
        using var app = await AppAsync(provider, new() { ["Realtime:Negotiation"] = "Direct" });
        // A Direct call, recorded from the sideband the server opens once the page reports it.
        using (var mint = await app.Client.PostAsync("/api/realtime/client-secret", null))
        {
            Assert.Equal(HttpStatusCode.OK, mint.StatusCode);
            var slot = JsonDocument.Parse(await mint.Content.ReadAsStringAsync()).RootElement.GetProperty("slot").GetString()!;
            using var report = await app.Client.PutAsync($"/api/realtime/calls/{FakeOpenAI.CallId}?slot={Uri.EscapeDataString(slot)}", null);
            Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        }
        await Await.UntilAsync(() => app.Fake.Sideband.OpenSockets == 1, "the sideband to open");
        RecordsApp.EchoToolOutputs(app);
        await RecordsApp.SpeakAsync(app);
        await RecordsApp.HandledAsync(app);
        using (var hangUp = await app.Client.DeleteAsync($"/api/realtime/calls/{FakeOpenAI.CallId}"))
            Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);
        var id = (await RecordsApp.RecordedAsync(app.Factory.Services, FakeOpenAI.CallId, c => c.EndedAt is not null, "the record")).Id;

        // The page sends only the id (negotiation.ts); the turns come from the record, into the secret's session.
        using (var continued = await app.Client.PostAsync($"/api/realtime/client-secret?continue={id}", null))
            Assert.Equal(HttpStatusCode.OK, continued.StatusCode);

        var sent = await app.UpstreamRequestsAsync("/realtime/client_secrets", 2);
        var instructions = (string)JsonNode.Parse(sent[1].RequestMessage!.Body!)!["session"]!["instructions"]!;
        Assert.StartsWith(app.Realtime.Instructions, instructions, StringComparison.Ordinal);
        var context = instructions[app.Realtime.Instructions.Length..];
        Assert.Contains("User: What's the weather in Tokyo?", context);
        Assert.True(context.IndexOf("Assistant: It is sunny in Tokyo.", StringComparison.Ordinal) < context.IndexOf("User: Thank you!", StringComparison.Ordinal), context);
        Assert.DoesNotContain("Tokyo", JsonNode.Parse(sent[0].RequestMessage!.Body!)!["session"]!.ToJsonString());

        // Someone else's conversation (or one that is gone) is refused before anything is minted upstream.
        using var stranger = app.Factory.CreateClient();
        using (var refused = await stranger.PostAsync($"/api/realtime/client-secret?continue={id}", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Contains("conversation_not_found", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(2, app.Fake.Arrivals("/realtime/client_secrets").Count);
    }

    [Fact]
    public async Task The_retention_sweep_deletes_conversations_older_than_RetainDays_and_keeps_younger_ones()
    {
        var clock = new ManualClock();
        using var app = await AppAsync(RecordsApp.Sqlite, new() { ["Records:RetainDays"] = "7" }, services => services.AddSingleton<TimeProvider>(clock));
        var id = await RecordCallAsync(app);
        var sweep = app.Factory.Services.GetRequiredService<RetentionSweep>();
        Assert.Contains("Conversations are kept for 7 days", await app.Client.GetStringAsync("/history"));

        clock.Advance(TimeSpan.FromDays(6.9));
        Assert.Equal(0, await sweep.SweepAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/history/{id}")).StatusCode);

        clock.Advance(TimeSpan.FromDays(0.2));
        Assert.Equal(1, await sweep.SweepAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"/history/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("Records:RetainDays", "0", "Records:RetainDays")]
    [InlineData("Records:Provider", "PostgreSQL", "ConnectionStrings:Records")]
    [InlineData("Records:Provider", "Oracle", "Records:Provider")]
    [InlineData("Records:QueueCapacity", "5", "Records:QueueCapacity")]
    public void A_bad_records_setting_stops_startup_naming_the_key(string key, string value, string named)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateEmptyBuilder(new());
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration, new Dictionary<string, string?> { [key] = value });
        builder.AddRecords();
        using var services = builder.Services.BuildServiceProvider();
        var failure = Record.Exception(() => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RecordsOptions>>().Value);
        Assert.NotNull(failure);
        Assert.True(Web.Hosting.StartupFailure.IsConfigurationError(failure), failure.ToString());
        Assert.Contains(named, Web.Hosting.StartupFailure.Describe(failure));
    }
}
