using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

public sealed class UpstreamProblemTests
{
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
        var answer = UpstreamProblem.Describe(new UpstreamException(failure));

        Assert.Equal(status, answer.Status);
        Assert.Equal(code, answer.Code);
        Assert.False(string.IsNullOrWhiteSpace(answer.Title));
        Assert.False(string.IsNullOrWhiteSpace(answer.Detail));
        Assert.Null(answer.RetryAfter);
    }

    [Fact]
    public void Every_failure_has_its_own_mapping()
    {
        var codes = Enum.GetValues<UpstreamFailure>().Select(f => UpstreamProblem.Describe(new UpstreamException(f)).Code).ToList();

        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Theory]
    [InlineData(7.0, "7")]
    [InlineData(6.2, "7")]
    [InlineData(0.3, "1")]
    [InlineData(0.0, "1")]
    [InlineData(59.999, "60")]
    public void Rate_limit_wait_is_rounded_up_to_whole_seconds(double seconds, string shown)
    {
        var wait = TimeSpan.FromSeconds(seconds);

        var answer = UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.RateLimited, retryAfter: wait));

        Assert.Equal(wait, answer.RetryAfter);
        Assert.Contains($"in {shown} s", answer.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6.2, "7")]
    [InlineData(0.0, "1")]
    public void Rate_limit_result_sets_Retry_After_in_whole_seconds(double seconds, string header)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();

        UpstreamProblem.ToResult(new UpstreamException(UpstreamFailure.RateLimited, retryAfter: TimeSpan.FromSeconds(seconds)), context);

        Assert.Equal(header, context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public void Rate_limit_without_a_wait_says_so_and_sets_no_header()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        var ex = new UpstreamException(UpstreamFailure.RateLimited);

        UpstreamProblem.ToResult(ex, context);

        Assert.Contains("a minute", UpstreamProblem.Describe(ex).Detail, StringComparison.Ordinal);
        Assert.False(context.Response.Headers.ContainsKey("Retry-After"));
    }

    [Fact]
    public void A_rejection_names_OpenAIs_code_when_there_is_one()
    {
        Assert.Contains("(invalid_session_config)", UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.Rejected, "invalid_session_config")).Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("(", UpstreamProblem.Describe(new UpstreamException(UpstreamFailure.Rejected)).Detail, StringComparison.Ordinal);
    }
}
