namespace RealtimeRazor.Web.Realtime;

public enum UpstreamFailure
{
    /// <summary>OpenAI answered 401/403: the server's key is wrong, revoked or lacks access.</summary>
    KeyRefused,
    RateLimited,
    /// <summary>OpenAI answered another 4xx: it refused what we sent (bad SDP, bad session config).</summary>
    Rejected,
    NotFound,
    /// <summary>5xx, or no connection could be made.</summary>
    Unavailable,
    Timeout,
    /// <summary>A success status whose body is not what the protocol promises.</summary>
    InvalidAnswer,
    /// <summary>No Microsoft Entra ID token could be had for Azure OpenAI.</summary>
    SignInFailed,
}

/// <summary>An OpenAI call that did not give a usable answer. Carries no upstream body: it may echo secrets.</summary>
public sealed class UpstreamException(UpstreamFailure failure, string? errorCode = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception($"OpenAI call failed: {failure}", inner)
{
    public UpstreamFailure Failure { get; } = failure;

    /// <summary>OpenAI's machine-readable <c>error.code</c>, when it sent one that looks safe to repeat.</summary>
    public string? ErrorCode { get; } = errorCode;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}
