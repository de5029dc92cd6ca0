using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Records;

namespace RealtimeRazor.Tests.Records;

/// <summary>/admin/usage: cost and minutes per user and day, for Access:Admins only, with a chart and CSV.</summary>
public sealed class UsagePageTests
{
    private static async Task SeedAsync(TestApp app)
    {
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecordsDbContext>();
        var today = DateTime.UtcNow.Date.AddHours(10);
        Conversation Call(string owner, DateTime start, double minutes, long costMicros) => new()
        {
            Id = Guid.CreateVersion7(), Owner = owner, CallId = "rtc_" + Guid.NewGuid().ToString("N"), StartedAt = start, EndedAt = start.AddMinutes(minutes),
            Transport = "webrtc", Model = "gpt-realtime", Voice = "marin", CostMicros = costMicros,
        };
        db.Conversations.AddRange(
            Call("user:bob", today, 3, 120_000),
            Call("user:bob", today.AddHours(1), 2, 80_000),
            Call("user:alice", today.AddDays(-1), 10, 1_500_000),
            Call("user:carol", today.AddDays(-40), 60, 9_000_000));
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task An_admin_sees_cost_and_minutes_per_user_and_day_as_a_table_a_chart_and_CSV_and_nobody_else_does()
    {
        using var app = new TestApp(Passcodes.Settings(new() { ["Access:Admins:0"] = Passcodes.Alice }));
        using var bob = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(bob, Passcodes.BobPasscode);
        await SeedAsync(app);

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/admin/usage")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/admin/usage?handler=csv")).StatusCode);

        using var alice = app.Factory.CreateClient(new() { AllowAutoRedirect = false });
        await Passcodes.SignInOrFailAsync(alice, Passcodes.AlicePasscode);
        var page = await alice.GetStringAsync("/admin/usage");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        Assert.Contains($"<tr><td>{today}</td><td>user:bob</td><td>2</td><td>5.0</td><td>$0.2000</td></tr>", page);
        Assert.Contains("<td>user:alice</td><td>1</td><td>10.0</td><td>$1.5000</td>", page);
        Assert.DoesNotContain("user:carol", page);
        Assert.Equal(30, System.Text.RegularExpressions.Regex.Count(page, "<rect "));

        var csv = await alice.GetStringAsync("/admin/usage?handler=csv");
        Assert.StartsWith("date,user,conversations,minutes,cost_usd\n", csv);
        Assert.Contains($"{today},\"user:bob\",2,5.0,0.200000\n", csv);
    }
}
