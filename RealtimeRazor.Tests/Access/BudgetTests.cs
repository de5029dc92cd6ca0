using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Access;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Access;

/// <summary>Daily spending caps, counted by the server: once one is spent, nothing new starts until midnight UTC.</summary>
public sealed class BudgetTests
{
    private static (InMemorySpendingLedger Ledger, ManualClock Clock) LedgerAt2300(decimal? perUser = null, decimal? total = null)
    {
        var clock = new ManualClock();
        var now = clock.GetUtcNow();
        clock.Advance(now.Date.AddDays(1).AddHours(-1) - now.UtcDateTime);
        var options = new AccessOptions { Budget = new() { PerUserDailyUsd = perUser, TotalDailyUsd = total } };
        return (new InMemorySpendingLedger(clock, Options.Create(options)), clock);
    }

    [Fact]
    public async Task A_users_budget_is_spent_when_their_replies_reach_it_and_forgotten_at_midnight_UTC()
    {
        var (ledger, clock) = LedgerAt2300(perUser: 1.00m);
        Assert.False(ledger.Add("user:alice", 0.60m));
        Assert.Null(await ledger.CheckAsync("user:alice"));

        Assert.True(ledger.Add("user:alice", 0.40m));

        var refusal = await ledger.CheckAsync("user:alice");
        Assert.NotNull(refusal);
        Assert.Equal(ProblemCode.BudgetSpent, refusal.Code);
        Assert.Equal(1.00m, refusal.Values["budgetUsd"]);
        Assert.Equal("00:00", refusal.Values["resetsAt"]);
        Assert.Equal(3600, refusal.Values[Refusal.RetryAfterValue]);
        Assert.Null(await ledger.CheckAsync("user:bob"));

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(await ledger.CheckAsync("user:alice"));
        Assert.False(ledger.Add("user:alice", 0m));
    }

    [Fact]
    public async Task The_sites_budget_stops_everyone_once_all_users_together_reach_it()
    {
        var (ledger, _) = LedgerAt2300(perUser: 5m, total: 2m);
        ledger.Add("user:alice", 1.5m);
        ledger.Add("user:bob", 0.5m);

        var refusal = await ledger.CheckAsync("user:carol");

        Assert.Equal(ProblemCode.SiteBudgetSpent, refusal?.Code);
    }

    [Fact]
    public void Usage_is_priced_as_OpenAI_bills_it_with_cached_input_at_the_cached_rate()
    {
        using var usage = JsonDocument.Parse("""
            {"total_tokens":1900,"input_tokens":1200,"output_tokens":700,
             "input_token_details":{"text_tokens":200,"audio_tokens":1000,"cached_tokens":600,"cached_tokens_details":{"text_tokens":100,"audio_tokens":500}},
             "output_token_details":{"text_tokens":100,"audio_tokens":600}}
            """);
        var tokens = TokenUsage.Parse(usage.RootElement);
        var price = new ModelPrice { AudioInput = 32m, AudioOutput = 64m, TextInput = 4m, TextOutput = 16m, CachedInput = 0.4m };

        Assert.Equal(1900, tokens.Total);
        // (1000-500)·32 + (200-100)·4 + 600·0.4 + 600·64 + 100·16 per million tokens.
        Assert.Equal((500 * 32m + 100 * 4m + 600 * 0.4m + 600 * 64m + 100 * 16m) / 1_000_000m, price.Cost(tokens));
    }

    [Fact]
    public void Cached_tokens_without_a_breakdown_count_as_audio_first_as_on_the_page()
    {
        using var usage = JsonDocument.Parse("""{"input_token_details":{"text_tokens":50,"audio_tokens":100,"cached_tokens":120}}""");

        var tokens = TokenUsage.Parse(usage.RootElement);

        Assert.Equal((100L, 20L), (tokens.CachedAudio, tokens.CachedText));
    }

    [Fact]
    public async Task A_user_whose_budget_is_spent_starts_no_call_and_is_told_when_they_can_again_while_others_still_can()
    {
        using var app = new TestApp(Passcodes.Settings(new() { ["Access:Budget:PerUserDailyUsd"] = "0.50" }));
        using var alice = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        using var bob = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);
        app.Factory.Services.GetRequiredService<ISpendingLedger>().Add("user:" + Passcodes.Alice, 0.50m);

        using var refused = await alice.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        var problem = await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "budget_spent");
        Assert.Equal(0.50m, problem.GetProperty("budgetUsd").GetDecimal());
        Assert.Matches("^[0-9]{2}:[0-9]{2}$", problem.GetProperty("resetsAt").GetString());
        Assert.Contains("0.50 US dollars", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Empty(app.Fake.Arrivals("/realtime/calls"));

        using var allowed = await bob.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
    }

    [Fact]
    public async Task A_spent_site_budget_mints_no_client_secret_in_Direct_mode()
    {
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Open",
            ["Realtime:Negotiation"] = "Direct",
            ["Access:Budget:TotalDailyUsd"] = "3",
        });
        app.Factory.Services.GetRequiredService<ISpendingLedger>().Add("user:someone-else", 3m);

        using var refused = await app.Client.PostAsync("/api/realtime/client-secret", null);

        await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "site_budget_spent");
        Assert.Empty(app.Fake.Arrivals("/realtime/client_secrets"));
    }

    [Theory]
    [InlineData("Access:Budget:PerUserDailyUsd", "0")]
    [InlineData("Access:Budget:TotalDailyUsd", "-5")]
    public void A_budget_that_is_not_positive_stops_startup_naming_the_key(string key, string value)
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", [key] = value });
        Assert.ThrowsAny<Exception>(() => app.Client);

        // The reason it gives is the validator's.
        var budget = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        var options = new AccessOptions { Mode = AccessMode.Open, Budget = key.EndsWith("PerUserDailyUsd", StringComparison.Ordinal) ? new() { PerUserDailyUsd = budget } : new() { TotalDailyUsd = budget } };
        var environment = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" };
        var result = new AccessOptionsValidator(environment, Options.Create(new Microsoft.AspNetCore.HostFiltering.HostFilteringOptions())).Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }
}
