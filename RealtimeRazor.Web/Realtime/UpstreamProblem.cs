using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Which refusal the person in front of the page gets for each way OpenAI can fail.</summary>
public static class UpstreamProblem
{
    public static Refusal Describe(UpstreamException ex) => ex.Failure switch
    {
        UpstreamFailure.KeyRefused => Refusal.Of(ProblemCode.UpstreamKeyRefused),
        UpstreamFailure.RateLimited => Refusal.Of(ProblemCode.UpstreamRateLimited, ex.RetryAfter),
        UpstreamFailure.Rejected => ex.ErrorCode is { } openAICode
            ? Refusal.Of(ProblemCode.UpstreamRejected, ("openAICode", openAICode))
            : Refusal.Of(ProblemCode.UpstreamRejected),
        UpstreamFailure.NotFound => Refusal.Of(ProblemCode.CallNotFound),
        UpstreamFailure.Timeout => Refusal.Of(ProblemCode.UpstreamTimeout),
        UpstreamFailure.InvalidAnswer => Refusal.Of(ProblemCode.UpstreamInvalidAnswer),
        UpstreamFailure.SignInFailed => Refusal.Of(ProblemCode.UpstreamSignInFailed),
        _ => Refusal.Of(ProblemCode.UpstreamUnavailable),
    };
}
