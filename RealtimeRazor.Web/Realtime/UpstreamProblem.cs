using System.Globalization;

namespace RealtimeRazor.Web.Realtime;

/// <summary>Turns upstream failures into problem+json answers written for the person in front of the page.</summary>
public static class UpstreamProblem
{
    public sealed record Answer(int Status, string Title, string Detail, string Code, TimeSpan? RetryAfter = null);

    public static Answer Describe(UpstreamException ex) => ex.Failure switch
    {
        UpstreamFailure.KeyRefused => new(StatusCodes.Status502BadGateway,
            "OpenAI refused this server's API key",
            "The site's OpenAI API key was rejected. The site owner needs to check OpenAI__ApiKey.",
            "upstream_key_refused"),
        UpstreamFailure.RateLimited => new(StatusCodes.Status429TooManyRequests,
            "OpenAI is rate limiting this server",
            ex.RetryAfter is { } wait
                ? $"Too many sessions right now. Try again in {Seconds(wait)} s."
                : "Too many sessions right now. Try again in a minute.",
            "upstream_rate_limited",
            ex.RetryAfter),
        UpstreamFailure.Rejected => new(StatusCodes.Status502BadGateway,
            "OpenAI refused the session request",
            ex.ErrorCode is null
                ? "OpenAI did not accept the session request. Try again; if it keeps failing, the site owner should check the server log."
                : $"OpenAI did not accept the session request ({ex.ErrorCode}). The site owner should check the server configuration.",
            "upstream_rejected"),
        UpstreamFailure.NotFound => new(StatusCodes.Status404NotFound,
            "No such call",
            "OpenAI does not know this call; it may already have ended.",
            "call_not_found"),
        UpstreamFailure.Timeout => new(StatusCodes.Status504GatewayTimeout,
            "OpenAI did not answer in time",
            "OpenAI took too long to answer. Check your connection and try again.",
            "upstream_timeout"),
        UpstreamFailure.InvalidAnswer => new(StatusCodes.Status502BadGateway,
            "OpenAI sent an answer this app cannot use",
            "OpenAI's answer was not a valid session description. Try again in a moment.",
            "upstream_invalid_answer"),
        _ => new(StatusCodes.Status502BadGateway,
            "OpenAI is unavailable",
            "OpenAI could not be reached or had an error. Try again in a moment.",
            "upstream_unavailable"),
    };

    public static IResult ToResult(UpstreamException ex, HttpContext context)
    {
        var answer = Describe(ex);
        if (answer.RetryAfter is { } wait)
            context.Response.Headers.RetryAfter = Seconds(wait);
        return Problem(answer.Status, answer.Title, answer.Detail, answer.Code);
    }

    public static IResult Problem(int status, string title, string detail, string code) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status,
            extensions: new Dictionary<string, object?> { ["code"] = code });

    private static string Seconds(TimeSpan wait) =>
        Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
