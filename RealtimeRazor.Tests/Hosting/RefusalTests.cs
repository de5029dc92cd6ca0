using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>Every refusal comes from one factory keyed by code, with its text in every language.</summary>
public sealed partial class RefusalTests
{
    public static TheoryData<string, ProblemCode> EveryCodeInEveryLanguage()
    {
        var data = new TheoryData<string, ProblemCode>();
        foreach (var language in UiStrings.ByCulture.Keys)
        {
            foreach (var code in Enum.GetValues<ProblemCode>())
                data.Add(language, code);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCodeInEveryLanguage))]
    public void Every_code_has_a_text_in_every_language_naming_only_values_it_carries(string language, ProblemCode code)
    {
        var strings = UiStrings.ByCulture[language];
        var row = Refusal.Describe(code);

        Assert.True(strings.TryGetValue(Refusal.TextKey(code), out var text), $"{language} has no {Refusal.TextKey(code)}");
        Assert.Subset(row.Values.Concat(row.OptionalValues).ToHashSet(), Placeholders(text!));
        if (row.OptionalValues.Count > 0)
        {
            Assert.True(strings.TryGetValue(Refusal.GeneralTextKey(code), out var general), $"{language} has no {Refusal.GeneralTextKey(code)}");
            Assert.Subset(row.Values.ToHashSet(), Placeholders(general!));
        }

        // Written out, with and without the optional values, nothing is left unfilled.
        var culture = new CultureInfo(language);
        var required = row.Values.Select(name => (name, (object)7)).ToArray();
        var all = row.Values.Concat(row.OptionalValues).Select(name => (name, (object)7)).ToArray();
        foreach (var refusal in new[] { Refusal.Of(code, required), Refusal.Of(code, all) })
        {
            var detail = refusal.Detail(culture);
            Assert.False(string.IsNullOrWhiteSpace(detail));
            Assert.DoesNotContain("{", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_code_has_its_own_snake_case_name_and_a_title()
    {
        var codes = Enum.GetValues<ProblemCode>().Select(Refusal.CodeOf).ToList();

        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.All(codes, code => Assert.Matches("^[a-z]+(_[a-z]+)*$", code));
        Assert.Equal("too_many_sessions", Refusal.CodeOf(ProblemCode.TooManySessions));
        Assert.Equal("upstream_key_refused", Refusal.CodeOf(ProblemCode.UpstreamKeyRefused));
        Assert.All(Enum.GetValues<ProblemCode>(), code => Assert.False(string.IsNullOrWhiteSpace(Refusal.Describe(code).Title)));
    }

    [Fact]
    public void A_refusal_carries_exactly_the_values_its_code_names()
    {
        Assert.Throws<ArgumentException>(() => Refusal.Of(ProblemCode.TooManySessions));
        Assert.Throws<ArgumentException>(() => Refusal.Of(ProblemCode.CrossOrigin, ("maxKiB", 64)));
    }

    [Fact]
    public async Task A_Japanese_request_gets_the_detail_in_Japanese_with_the_values_as_extensions()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Access:MaxSessionsPerUser"] = "1" });
        app.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("ja-JP,ja;q=0.9,en;q=0.5");
        using var first = await app.PostOfferAsync();
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var second = await app.PostOfferAsync();

        var problem = await Problem.AssertAsync(second, HttpStatusCode.TooManyRequests, "too_many_sessions");
        Assert.Equal(1, problem.GetProperty("maxSessionsPerUser").GetInt32());
        Assert.Equal("1 人が同時に開けるセッションの上限（1）に達しています。いずれかを終了してから（または終了するのを待ってから）、もう一度お試しください。",
            problem.GetProperty("detail").GetString());
        Assert.Equal("ja", Assert.Single(second.Content.Headers.ContentLanguage));
    }

    [Fact]
    public async Task The_language_cookie_picks_the_detail_language_and_the_wait_is_both_header_and_extension()
    {
        using var app = new TestApp(new Dictionary<string, string?>
        {
            ["Access:Mode"] = "Open",
            ["Access:RateLimit:SessionsPerWindow"] = "1",
            ["Access:RateLimit:WindowSeconds"] = "30",
        });
        app.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("ja");
        app.Client.DefaultRequestHeaders.Add("Cookie", ".AspNetCore.Culture=c%3Dzh-Hans%7Cuic%3Dzh-Hans");
        using var first = await app.PostOfferAsync();

        using var second = await app.PostOfferAsync();

        var problem = await Problem.AssertAsync(second, HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = problem.GetProperty("retryAfter").GetInt32();
        Assert.InRange(retryAfter, 1, 30);
        Assert.Equal(retryAfter.ToString(CultureInfo.InvariantCulture), Assert.Single(second.Headers.GetValues("Retry-After")));
        Assert.Equal($"你新建的会话过多。请在 {retryAfter} 秒后重试。", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_body_refused_before_routing_is_refused_in_the_requests_language_too()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open", ["Realtime:Negotiation"] = "Direct" });
        using var http = new HttpClient { BaseAddress = app.Factory.StartKestrel() };
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");

        using var response = await http.PostAsync("api/realtime/client-secret", new ByteArrayContent(new byte[64 * 1024 + 1]));

        var problem = await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        Assert.Equal("请求正文最多 64 KiB。", problem.GetProperty("detail").GetString());
        Assert.Equal(64, problem.GetProperty("maxKiB").GetInt32());
    }

    [Fact]
    public async Task Without_a_language_preference_the_detail_is_English()
    {
        using var app = new TestApp(new Dictionary<string, string?> { ["Access:Mode"] = "Open" });

        using var response = await app.Client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer, "text/plain"));

        var problem = await Problem.AssertAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_content_type");
        Assert.Equal("Send the SDP offer as application/sdp.", problem.GetProperty("detail").GetString());
        Assert.False(problem.TryGetProperty("retryAfter", out _));
    }

    private static HashSet<string> Placeholders(string text) => [.. Placeholder().Matches(text).Select(match => match.Groups[1].Value)];

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();
}
