using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// Every reason this server refuses a request. The snake_case name is the <c>code</c> of the
/// problem+json answer; its text is <c>problem.&lt;code&gt;</c> in <see cref="UiStrings"/>, so the page
/// shows the same words in its own language. A new member needs a row in <see cref="Refusal"/>'s table
/// (the build fails without one) and a text in every language (a unit test fails without one).
/// </summary>
public enum ProblemCode
{
    RequestTooLarge,
    Unauthenticated,
    RateLimited,
    SignInRateLimited,
    CrossOrigin,
    ApiKeyMissing,
    NegotiationModeDisabled,
    UnknownPreset,
    CustomInstructionsDisabled,
    InstructionsTooLong,
    InvalidDcid,
    UnsupportedContentType,
    OfferTooLarge,
    InvalidOffer,
    TooManySessions,
    SiteAtCapacity,
    BudgetSpent,
    SiteBudgetSpent,
    InvalidCallId,
    CallNotFound,
    InvalidItemId,
    ConversationNotFound,
    CallAlreadyReported,
    SlotNotFound,
    WebSocketRequired,
    InvalidPathPrefix,
    UpstreamKeyRefused,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamInvalidAnswer,
    UpstreamUnavailable,
    UpstreamSignInFailed,
    SharedStateUnavailable,
}

/// <summary>
/// The one way this server refuses a request: a problem+json answer whose <c>code</c> names the
/// reason and whose extensions carry the values its text names (a wait, a limit). The <c>detail</c>
/// is written in the request's language; the page ignores it for codes it knows and writes the text
/// from its own table, so it never depends on the server's wording. The <c>title</c> stays English:
/// it names the kind of problem for logs and developers, as the code does for programs.
/// </summary>
public sealed partial class Refusal : IResult
{
    /// <summary>Carried when the client should wait: also sent as the Retry-After header, in whole seconds.</summary>
    public const string RetryAfterValue = "retryAfter";

    private readonly Dictionary<string, object> _values;

    private Refusal(ProblemCode code, Dictionary<string, object> values)
    {
        Code = code;
        _values = values;
    }

    public ProblemCode Code { get; }

    /// <summary>The values the text names, as sent in the answer's extensions.</summary>
    public IReadOnlyDictionary<string, object> Values => _values;

    public int Status => Describe(Code).Status;

    public string Title => Describe(Code).Title;

    /// <summary>The <c>code</c> as it appears in the answer, e.g. <c>too_many_sessions</c>.</summary>
    public static string CodeOf(ProblemCode code) => JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString());

    /// <summary>The key of the code's text in <see cref="UiStrings"/>.</summary>
    public static string TextKey(ProblemCode code) => "problem." + CodeOf(code);

    /// <summary>
    /// The key of the text used when an optional value is missing (e.g. OpenAI gave no Retry-After).
    /// The page applies the same rule: a text that names a value the answer lacks gives way to this one.
    /// </summary>
    public static string GeneralTextKey(ProblemCode code) => TextKey(code) + ".general";

    /// <summary>Refuses for <paramref name="code"/>; <paramref name="values"/> must be the ones its table row names.</summary>
    public static Refusal Of(ProblemCode code, params (string Name, object Value)[] values)
    {
        var row = Describe(code);
        var given = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (!row.Values.Contains(name) && !row.OptionalValues.Contains(name))
                throw new ArgumentException($"{CodeOf(code)} carries no value '{name}'.", nameof(values));
            given[name] = value;
        }
        if (row.Values.FirstOrDefault(name => !given.ContainsKey(name)) is { } missing)
            throw new ArgumentException($"{CodeOf(code)} needs the value '{missing}'.", nameof(values));
        return new Refusal(code, given);
    }

    /// <summary>A refusal that tells the client how long to wait, rounded up to whole seconds (at least 1).</summary>
    public static Refusal Of(ProblemCode code, TimeSpan? retryAfter, params (string Name, object Value)[] values) =>
        retryAfter is { } wait
            ? Of(code, [.. values, (RetryAfterValue, Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)))])
            : Of(code, values);

    /// <summary>The text for <paramref name="culture"/>, with its values filled in.</summary>
    public string Detail(CultureInfo culture)
    {
        var strings = UiStrings.For(culture);
        return Fill(strings[TextKey(Code)]) ?? Fill(strings[GeneralTextKey(Code)])
            ?? throw new InvalidOperationException($"{CodeOf(Code)} has no text for the values it carries.");
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var culture = CultureInfo.CurrentUICulture;
        if (_values.TryGetValue(RetryAfterValue, out var seconds))
            httpContext.Response.Headers.RetryAfter = Convert.ToString(seconds, CultureInfo.InvariantCulture);
        httpContext.Response.Headers.ContentLanguage = UiStrings.NameFor(culture);
        var extensions = new Dictionary<string, object?> { ["code"] = CodeOf(Code) };
        foreach (var (name, value) in _values)
            extensions[name] = value;
        await TypedResults.Problem(title: Title, detail: Detail(culture), statusCode: Status, extensions: extensions).ExecuteAsync(httpContext);
    }

    /// <summary>The template with each <c>{name}</c> replaced, or null when it names a value this refusal lacks.</summary>
    private string? Fill(string template)
    {
        var complete = true;
        var text = Placeholder().Replace(template, match =>
        {
            if (_values.TryGetValue(match.Groups[1].Value, out var value))
                return Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            complete = false;
            return match.Value;
        });
        return complete ? text : null;
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();

    /// <summary>What an answer for <paramref name="code"/> is: its status, title and the values its text may name.</summary>
    /// <param name="Values">Always carried.</param>
    /// <param name="OptionalValues">Carried when known; without them the code's <c>.general</c> text is used.</param>
    public sealed record Row(int Status, string Title, IReadOnlyList<string> Values, IReadOnlyList<string> OptionalValues);

    // No default arm: a member without a row fails the build (CS8509); an undefined number throws.
#pragma warning disable CS8524
    public static Row Describe(ProblemCode code) => code switch
    {
        ProblemCode.RequestTooLarge => new(StatusCodes.Status413PayloadTooLarge, "Request too large", ["maxKiB"], []),
        ProblemCode.Unauthenticated => new(StatusCodes.Status401Unauthorized, "Sign-in required", [], []),
        ProblemCode.RateLimited => new(StatusCodes.Status429TooManyRequests, "Too many requests", [RetryAfterValue], []),
        ProblemCode.SignInRateLimited => new(StatusCodes.Status429TooManyRequests, "Too many sign-in attempts", [RetryAfterValue], []),
        ProblemCode.CrossOrigin => new(StatusCodes.Status403Forbidden, "Cross-site request refused", [], []),
        ProblemCode.ApiKeyMissing => new(StatusCodes.Status503ServiceUnavailable, "The server has no OpenAI API key", [], []),
        ProblemCode.NegotiationModeDisabled => new(StatusCodes.Status404NotFound, "Negotiation mode not enabled", ["mode"], []),
        ProblemCode.UnknownPreset => new(StatusCodes.Status400BadRequest, "Unknown preset", [], []),
        ProblemCode.CustomInstructionsDisabled => new(StatusCodes.Status400BadRequest, "Custom instructions are not allowed", [], []),
        ProblemCode.InstructionsTooLong => new(StatusCodes.Status400BadRequest, "Instructions too long", ["maxCharacters"], []),
        ProblemCode.InvalidDcid => new(StatusCodes.Status400BadRequest, "Invalid data channel id", ["maxDataChannelId"], []),
        ProblemCode.UnsupportedContentType => new(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", [], []),
        ProblemCode.OfferTooLarge => new(StatusCodes.Status413PayloadTooLarge, "Offer too large", ["maxKiB"], []),
        ProblemCode.InvalidOffer => new(StatusCodes.Status400BadRequest, "Not an SDP offer", [], []),
        ProblemCode.TooManySessions => new(StatusCodes.Status429TooManyRequests, "Too many sessions", ["maxSessionsPerUser"], []),
        ProblemCode.SiteAtCapacity => new(StatusCodes.Status429TooManyRequests, "Too many sessions on this site", [], []),
        ProblemCode.BudgetSpent => new(StatusCodes.Status429TooManyRequests, "Daily budget spent", ["budgetUsd", "resetsAt", RetryAfterValue], []),
        ProblemCode.SiteBudgetSpent => new(StatusCodes.Status429TooManyRequests, "Site's daily budget spent", ["resetsAt", RetryAfterValue], []),
        ProblemCode.InvalidCallId => new(StatusCodes.Status400BadRequest, "Invalid call id", [], []),
        ProblemCode.CallNotFound => new(StatusCodes.Status404NotFound, "No such call", [], []),
        ProblemCode.InvalidItemId => new(StatusCodes.Status400BadRequest, "Invalid conversation item id", [], []),
        ProblemCode.ConversationNotFound => new(StatusCodes.Status404NotFound, "No such conversation", [], []),
        ProblemCode.CallAlreadyReported => new(StatusCodes.Status409Conflict, "Call already reported", [], []),
        ProblemCode.SlotNotFound => new(StatusCodes.Status404NotFound, "No such session", [], []),
        ProblemCode.WebSocketRequired => new(StatusCodes.Status400BadRequest, "WebSocket handshake required", [], []),
        ProblemCode.InvalidPathPrefix => new(StatusCodes.Status400BadRequest, "Invalid forwarded path prefix", [], []),
        ProblemCode.UpstreamKeyRefused => new(StatusCodes.Status502BadGateway, "OpenAI refused this server's API key", [], []),
        ProblemCode.UpstreamRateLimited => new(StatusCodes.Status429TooManyRequests, "OpenAI is rate limiting this server", [], [RetryAfterValue]),
        ProblemCode.UpstreamRejected => new(StatusCodes.Status502BadGateway, "OpenAI refused the session request", [], ["openAICode"]),
        ProblemCode.UpstreamTimeout => new(StatusCodes.Status504GatewayTimeout, "OpenAI did not answer in time", [], []),
        ProblemCode.UpstreamInvalidAnswer => new(StatusCodes.Status502BadGateway, "OpenAI sent an answer this app cannot use", [], []),
        ProblemCode.UpstreamUnavailable => new(StatusCodes.Status502BadGateway, "OpenAI is unavailable", [], []),
        ProblemCode.UpstreamSignInFailed => new(StatusCodes.Status502BadGateway, "Could not sign in to Azure", [], []),
        ProblemCode.SharedStateUnavailable => new(StatusCodes.Status503ServiceUnavailable, "Shared session store unavailable", [], []),
    };
#pragma warning restore CS8524
}
