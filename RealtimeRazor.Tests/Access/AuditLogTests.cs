using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Access;

/// <summary>
/// The audit trail: sign-ins, sessions started and ended, and refusals are logged with the user (or the
/// client's address) and the reason, never the passcode.
/// </summary>
public sealed class AuditLogTests : IDisposable
{
    private const string WrongGuess = "not alices passcode";
    private readonly FakeOpenAI fake = new();
    private readonly LogCapture logs = new();

    public void Dispose() => fake.Dispose();

    private AppFactory App(Dictionary<string, string?> settings) => new(fake, settings, logs: logs);

    private string LineWith(params string[] parts)
    {
        var line = logs.Lines.FirstOrDefault(line => parts.All(part => line.Contains(part, StringComparison.Ordinal)));
        Assert.True(line is not null, $"no log line with {string.Join(" + ", parts)}:\n{string.Join('\n', logs.Lines)}");
        return line;
    }

    [Fact]
    public async Task Sign_ins_and_a_users_session_are_logged_with_the_user_and_never_the_passcode()
    {
        using var app = App(Passcodes.Settings());
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var wrong = await Passcodes.SignInAsync(browser, WrongGuess);
        await Passcodes.SignInOrFailAsync(browser, Passcodes.AlicePasscode);
        using var call = await browser.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        using var hangUp = await browser.DeleteAsync(call.Headers.Location);
        Assert.Equal(HttpStatusCode.NoContent, hangUp.StatusCode);

        LineWith("Sign-in failed", "wrong passcode");
        LineWith("Sign-in succeeded", Passcodes.Alice);
        LineWith("Session started", FakeOpenAI.CallId, "user:" + Passcodes.Alice);
        LineWith("Session ended", FakeOpenAI.CallId, "user:" + Passcodes.Alice);
        Assert.DoesNotContain(logs.Lines, line => line.Contains(WrongGuess, StringComparison.Ordinal) || line.Contains(Passcodes.AlicePasscode, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refused_sessions_are_logged_with_the_client_and_the_reason()
    {
        using var app = App(new() { ["Access:Mode"] = "Open", ["Access:MaxSessionsPerUser"] = "1", ["Access:RateLimit:SessionsPerWindow"] = "2" });
        using var client = app.CreateClient();

        using var first = await client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        using var second = await client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        using var third = await client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = TestApp.Sdp(TestData.Offer) };
        crossSite.Headers.Add("Origin", "https://evil.example");
        using var refused = await client.SendAsync(crossSite);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        LineWith("Session started", "ip:");
        LineWith("Session refused", "ip:", "too_many_sessions");
        LineWith("Session refused", "ip:", "rate limit");
        LineWith("Request refused", "ip:", "cross-site request");
    }

    [Fact]
    public async Task An_API_call_without_sign_in_is_logged_as_refused()
    {
        using var app = App(Passcodes.Settings());
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var call = await client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

        Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
        LineWith("Request refused", "/api/realtime/calls", "not signed in");
    }
}
