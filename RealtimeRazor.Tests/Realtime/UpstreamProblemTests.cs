using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RealtimeRazor.Web.Hosting;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

public sealed class UpstreamProblemTests
{
    private static readonly CultureInfo English = new("en");

    [Theory]
    [InlineData(UpstreamFailure.KeyRefused, 502, "upstream_key_refused")]
    [InlineData(UpstreamFailure.RateLimited, 429, "upstream_rate_limited")]
    [InlineData(UpstreamFailure.Rejected, 502, "upstream_rejected")]
    [InlineData(UpstreamFailure.NotFound, 404, "call_not_found")]
    [InlineData(UpstreamFailure.Unavailable, 502, "upstream_unavailable")]
    [InlineData(UpstreamFailure.Timeout, 504, "upstream_timeout")]
    [InlineData(UpstreamFailure.InvalidAnswer, 502, "upstream_invalid_answer")]
    public void Each_failure_maps_to_a_status_and_code(UpstreamFailure failure, int status, string code)
    {
        var refusal = UpstreamProblem.Describe(new UpstreamException(failure));

        Assert.Equal(status, refusal.Status);
        Assert.Equal(code, Refusal.CodeOf(refusal.Code));
        Assert.False(string.IsNullOrWhiteSpace(refusal.Title));
        Assert.False(string.IsNullOrWhiteSpace(refusal.Detail(English)));
        Assert.False(refusal.Values.ContainsKey(Refusal.RetryAfterValue));
    }

    [Fact]
    public void Every_failure_has_its_own_mapping()
    {
        var codes = Enum.GetValues<UpstreamFailure>().Select(f => UpstreamProblem.Describe(new UpstreamException(f)).Code).ToList();

        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Theory]
    [InlineData(7.0, 7)]
    [InlineData(6.2, 7)]
    [InlineData(0.3, 1)]
    [InlineData(0.0, 1)]
    [InlineData(59.999, 60)]
    public void Rate_limit_wait_is_rounded_up_to_whole_seconds(double seconds, int shown)
    {
        var refusal = UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.RateLimited, retryAfter: TimeSpan.FromSeconds(seconds)));

        Assert.Equal(shown, refusal.Values[Refusal.RetryAfterValue]);
        Assert.Contains($"in {shown} s", refusal.Detail(English), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6.2, "7")]
    [InlineData(0.0, "1")]
    public async Task Rate_limit_result_sets_Retry_After_in_whole_seconds(double seconds, string header)
    {
        var context = NewContext();

        await UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.RateLimited, retryAfter: TimeSpan.FromSeconds(seconds))).ExecuteAsync(context);

        Assert.Equal(header, context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task Rate_limit_without_a_wait_says_so_and_sets_no_header()
    {
        var context = NewContext();
        var refusal = UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.RateLimited));

        await refusal.ExecuteAsync(context);

        Assert.Contains("a minute", refusal.Detail(English), StringComparison.Ordinal);
        Assert.False(context.Response.Headers.ContainsKey("Retry-After"));
    }

    [Fact]
    public void A_rejection_names_OpenAIs_code_when_there_is_one()
    {
        Assert.Contains("(invalid_session_config)", UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.Rejected, "invalid_session_config")).Detail(English), StringComparison.Ordinal);
        Assert.DoesNotContain("(", UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.Rejected)).Detail(English), StringComparison.Ordinal);
    }

    private static DefaultHttpContext NewContext()
    {
        var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        return new DefaultHttpContext { RequestServices = services, Response = { Body = new MemoryStream() } };
    }
}
