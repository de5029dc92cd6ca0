using System.Net;
using RealtimeRazor.Tests.Access;
using RealtimeRazor.Tests.Browser;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Scale;

/// <summary>
/// Two real app processes on their own ports sharing one real Redis, as two instances behind a load
/// balancer: requests alternate between them and the site must behave as one.
/// </summary>
public sealed class ScaleOutTests : IAsyncLifetime
{
    private SharedRedisSite site = null!;

    public async Task InitializeAsync() => site = await SharedRedisSite.StartAsync();

    public async Task DisposeAsync() => await site.DisposeAsync();

    /// <summary>Two instances with the same settings and the same Redis.</summary>
    private async Task<(Instance A, Instance B)> StartTwoAsync(Dictionary<string, string>? extra = null)
    {
        var (a, b) = await site.StartTwoAsync(extra);
        return (new Instance(a), new Instance(b));
    }

    [Fact]
    public async Task A_users_session_cap_holds_across_instances_when_requests_alternate()
    {
        var (a, b) = await StartTwoAsync(new() { ["Access__MaxSessionsPerUser"] = "2" });
        using (a)
        using (b)
        {
            using var first = await a.StartCallAsync();
            using var second = await b.StartCallAsync();
            using var third = await a.StartCallAsync();
            using var fourth = await b.StartCallAsync();

            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
            var refused = await Problem.AssertAsync(third, HttpStatusCode.TooManyRequests, "too_many_sessions");
            Assert.Equal(2, refused.GetProperty("maxSessionsPerUser").GetInt32());
            await Problem.AssertAsync(fourth, HttpStatusCode.TooManyRequests, "too_many_sessions");

            // Ending a call on either instance frees its slot for both.
            using var ended = await b.SendAsync(HttpMethod.Delete, first.Headers.Location!.OriginalString);
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
            using var again = await a.StartCallAsync();
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }
    }

    [Fact]
    public async Task A_users_rate_limit_holds_across_instances_with_retry_after()
    {
        var (a, b) = await StartTwoAsync(new()
        {
            ["Access__RateLimit__SessionsPerWindow"] = "3",
            ["Access__RateLimit__WindowSeconds"] = "60",
            ["Access__MaxSessionsPerUser"] = "100",
        });
        using (a)
        using (b)
        {
            var statuses = new List<HttpStatusCode>();
            foreach (var instance in new[] { a, b, a })
            {
                using var allowed = await instance.StartCallAsync();
                statuses.Add(allowed.StatusCode);
            }
            using var refused = await b.StartCallAsync();

            Assert.All(statuses, status => Assert.Equal(HttpStatusCode.Created, status));
            var problem = await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
            var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 61);
            Assert.Equal(retryAfter, problem.GetProperty("retryAfter").GetInt32());
            Assert.Contains($"{retryAfter} s", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(3, site.Fake.Arrivals("/realtime/calls").Count);
        }
    }

    [Fact]
    public async Task A_sign_in_on_one_instance_is_valid_on_the_other()
    {
        var settings = Passcodes.Settings().ToDictionary(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal), pair => pair.Value!);
        var (a, b) = await StartTwoAsync(settings);
        using (a)
        using (b)
        {
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = a.Address };
            using var signIn = await Passcodes.SignInAsync(browser, Passcodes.AlicePasscode);
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            var cookie = Passcodes.AuthCookiePair(signIn);

            using var withoutCookie = await b.StartCallAsync();
            using var call = await b.StartCallAsync(cookie);

            await Problem.AssertAsync(withoutCookie, HttpStatusCode.Unauthorized, "unauthenticated");
            Assert.Equal(HttpStatusCode.Created, call.StatusCode);
        }
    }

    [Fact]
    public async Task A_call_started_on_one_instance_is_hung_up_from_the_other()
    {
        var (a, b) = await StartTwoAsync();
        using (a)
        using (b)
        {
            using var created = await a.StartCallAsync();
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var location = created.Headers.Location!.OriginalString;
            var callId = location[(location.LastIndexOf('/') + 1)..];
            using (var status = await a.SendAsync(HttpMethod.Get, location))
                Assert.Equal(HttpStatusCode.OK, status.StatusCode);

            using var hungUp = await b.SendAsync(HttpMethod.Delete, location);

            Assert.Equal(HttpStatusCode.NoContent, hungUp.StatusCode);
            await Await.UntilAsync(() => site.Fake.Arrivals($"/realtime/calls/{callId}/hangup").Count == 1, "the hang-up to reach OpenAI");
            using var again = await a.SendAsync(HttpMethod.Delete, location);
            await Problem.AssertAsync(again, HttpStatusCode.NotFound, "call_not_found");
            // The instance that started the call closes its controller too.
            await Await.UntilAsync(async () =>
            {
                using var status = await a.SendAsync(HttpMethod.Get, location);
                return status.StatusCode == HttpStatusCode.NotFound;
            }, "the starting instance to drop the call", TimeSpan.FromSeconds(30));
            Assert.Single(site.Fake.Arrivals($"/realtime/calls/{callId}/hangup"));
        }
    }

    [Fact]
    public async Task Without_Redis_new_sessions_are_refused_clearly_live_calls_go_on_and_all_recovers()
    {
        var (a, b) = await StartTwoAsync(new() { ["Access__MaxSessionsPerUser"] = "2" });
        using (a)
        using (b)
        {
            using var live = await a.StartCallAsync();
            Assert.Equal(HttpStatusCode.Created, live.StatusCode);
            var location = live.Headers.Location!.OriginalString;
            var callId = location[(location.LastIndexOf('/') + 1)..];
            using (var ready = await b.Http.GetAsync("/readyz"))
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

            await site.Redis.StopAsync();

            using var refused = await a.StartCallAsync(language: "ja");
            var problem = await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "shared_state_unavailable");
            Assert.Contains("Redis", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("進行中の通話", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            using (var refusedToo = await b.StartCallAsync())
                await Problem.AssertAsync(refusedToo, HttpStatusCode.ServiceUnavailable, "shared_state_unavailable");
            using (var notReady = await b.Http.GetAsync("/readyz"))
                Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            // The live call is untouched: its controller still answers, and nobody hung it up.
            await Task.Delay(TimeSpan.FromSeconds(2));
            using (var status = await a.SendAsync(HttpMethod.Get, location))
                Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            Assert.Empty(site.Fake.Arrivals($"/realtime/calls/{callId}/hangup"));
            Assert.Single(site.Fake.Arrivals("/realtime/calls"));

            // Redis comes back empty (no persistence): both instances recover on their own.
            await site.Redis.StartAgainAsync();

            await Await.UntilAsync(async () =>
            {
                using var ready = await b.Http.GetAsync("/readyz");
                return ready.StatusCode == HttpStatusCode.OK;
            }, "readyz to report Redis back", TimeSpan.FromSeconds(30));
            // The instance running the live call registers it again on its next sweep once it is reconnected.
            await Await.UntilAsync(() => site.Redis.ExistsAsync($"realtime-razor:call:{callId}"), "the live call to be registered again", TimeSpan.FromSeconds(30));
            using var started = await b.StartCallAsync();
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
            // It still counts against the cap and can be hung up from the other instance.
            using var capped = await b.StartCallAsync();
            await Problem.AssertAsync(capped, HttpStatusCode.TooManyRequests, "too_many_sessions");
            using var hungUp = await b.SendAsync(HttpMethod.Delete, location);
            Assert.Equal(HttpStatusCode.NoContent, hungUp.StatusCode);
            await Await.UntilAsync(() => site.Fake.Arrivals($"/realtime/calls/{callId}/hangup").Count == 1, "the hang-up to reach OpenAI");
        }
    }

    [Fact]
    public async Task Through_nginx_round_robin_the_two_instances_behave_as_one_site()
    {
        var settings = Passcodes.Settings().ToDictionary(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal), pair => pair.Value!);
        settings["Access__MaxSessionsPerUser"] = "2";
        var (a, b) = await StartTwoAsync(settings);
        using (a)
        using (b)
        {
            using var nginx = await NginxProxy.StartAsync(a.Address, b.Address);
            using var http = nginx.CreateClient();
            var origin = nginx.Url.GetLeftPart(UriPartial.Authority);

            // The form and its post reach different instances: the antiforgery token and the sign-in cookie hold on both.
            using var form = await http.GetAsync("signin");
            Assert.Equal(HttpStatusCode.OK, form.StatusCode);
            var antiforgery = string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(cookie => cookie.Split(';')[0]));
            using var post = new HttpRequestMessage(HttpMethod.Post, "signin")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["Passcode"] = Passcodes.AlicePasscode,
                    ["__RequestVerificationToken"] = Passcodes.AntiforgeryToken(await form.Content.ReadAsStringAsync()),
                }),
            };
            post.Headers.Add("Cookie", antiforgery);
            post.Headers.Add("Origin", origin);
            post.Headers.Add("Sec-Fetch-Site", "same-origin");
            using var signedIn = await http.SendAsync(post);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            var cookie = Passcodes.AuthCookiePair(signedIn);

            async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path)
            {
                using var request = new HttpRequestMessage(method, path);
                if (method == HttpMethod.Post)
                    request.Content = TestApp.Sdp(TestData.Offer);
                request.Headers.Add("Cookie", cookie);
                request.Headers.Add("Origin", origin);
                request.Headers.Add("Sec-Fetch-Site", "same-origin");
                return await http.SendAsync(request);
            }

            using var first = await SendAsync(HttpMethod.Post, "api/realtime/calls");
            using var second = await SendAsync(HttpMethod.Post, "api/realtime/calls");
            using var third = await SendAsync(HttpMethod.Post, "api/realtime/calls");
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
            await Problem.AssertAsync(third, HttpStatusCode.TooManyRequests, "too_many_sessions");

            // Each instance answered some of the session starts.
            Assert.All(site.Apps, app => Assert.Contains("/api/realtime/calls", app.Output, StringComparison.Ordinal));

            var location = first.Headers.Location!.OriginalString;
            Assert.StartsWith("/voice/api/realtime/calls/", location, StringComparison.Ordinal);
            using var hungUp = await SendAsync(HttpMethod.Delete, location);
            Assert.Equal(HttpStatusCode.NoContent, hungUp.StatusCode);
            using var again = await SendAsync(HttpMethod.Post, "api/realtime/calls");
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }
    }

    [Fact]
    public async Task A_call_whose_instance_died_is_hung_up_at_its_maximum_length_by_the_survivor()
    {
        var (a, b) = await StartTwoAsync(new() { ["Realtime__MaxSessionMinutes"] = "1" });
        using (a)
        using (b)
        {
            using var created = await a.StartCallAsync();
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var location = created.Headers.Location!.OriginalString;
            var callId = location[(location.LastIndexOf('/') + 1)..];

            // Killed, as a crash or a lost machine ends it: nothing of it says goodbye.
            var starter = site.Apps[0];
            site.Apps.Remove(starter);
            starter.Dispose();

            await Await.UntilAsync(() => site.Fake.Arrivals($"/realtime/calls/{callId}/hangup").Count == 1,
                "the surviving instance to hang the call up at its maximum length", TimeSpan.FromSeconds(100));
            var survivor = Assert.Single(site.Apps);
            // Logged once OpenAI has answered the hang-up, just after the fake saw it.
            await Await.UntilAsync(() => survivor.Output.Split('\n').Any(line => line.Contains(callId, StringComparison.Ordinal)
                && line.Contains("reached the maximum session length and was hung up", StringComparison.Ordinal)), $"the survivor to log the hang-up; so far:\n{survivor.Output}");
        }
    }
}
