using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Realtime;

public sealed record CallAnswer(string Sdp, string? CallId);

public sealed record ClientSecret(string Value, DateTimeOffset ExpiresAt);

/// <summary>
/// The Realtime HTTP calls (OpenAI's, or Azure OpenAI's same-shaped GA paths), made with the server's
/// credentials. Nothing here retries: a retried SDP offer
/// would start a second, billed session.
/// </summary>
public sealed partial class OpenAIRealtimeClient(HttpClient http, IOptions<OpenAIOptions> options, UpstreamAuthentication authentication, ILogger<OpenAIRealtimeClient> logger)
{
    private static readonly MediaTypeHeaderValue SdpType = new("application/sdp");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    public static partial Regex CallIdPattern();

    /// <summary>
    /// Relay: <c>POST /realtime/calls</c> as multipart with the offer and the session config; a
    /// pre-negotiated data channel's id goes in the <c>dcid</c> query parameter.
    /// </summary>
    public async Task<CallAnswer> CreateCallAsync(string offerSdp, JsonObject session, int? dataChannelId, CancellationToken cancellationToken)
    {
        // Plain form fields, as a browser's FormData sends them.
        var form = new MultipartFormDataContent
        {
            { FormField(offerSdp), "sdp" },
            { FormField(session.ToJsonString()), "session" },
        };
        var path = dataChannelId is { } id ? $"realtime/calls?dcid={id}" : "realtime/calls";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = form };
        using var response = await SendAsync(request, cancellationToken);

        var sdp = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!LooksLikeSdp(sdp))
        {
            Log.AnswerNotSdp(logger, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType);
            throw new UpstreamException(UpstreamFailure.InvalidAnswer);
        }

        var callId = CallIdFrom(response.Headers.Location);
        Log.CallCreated(logger, callId);
        return new CallAnswer(sdp, callId);
    }

    /// <summary>Direct: mints an ephemeral secret the browser uses for its own SDP post.</summary>
    public async Task<ClientSecret> CreateClientSecretAsync(JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "realtime/client_secrets")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(request, cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var value = json.RootElement.GetProperty("value").GetString();
            var expiresAt = json.RootElement.GetProperty("expires_at").GetInt64();
            if (string.IsNullOrEmpty(value))
                throw new UpstreamException(UpstreamFailure.InvalidAnswer);
            return new ClientSecret(value, DateTimeOffset.FromUnixTimeSeconds(expiresAt));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            Log.SecretUnreadable(logger);
            throw new UpstreamException(UpstreamFailure.InvalidAnswer, inner: ex);
        }
    }

    public async Task HangUpAsync(string callId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"realtime/calls/{Uri.EscapeDataString(callId)}/hangup");
        using var response = await SendAsync(request, cancellationToken);
        Log.HungUp(logger, callId);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // HTTP/2 where the upstream offers it (api.openai.com does): concurrent calls share one warm TLS
        // connection instead of each opening its own. Plain-http upstreams (test fakes) get HTTP/1.1.
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));

        // The body is buffered inside the timeout (and capped by MaxResponseContentBufferSize).
        HttpResponseMessage response;
        try
        {
            // Inside the timeout: an Entra ID sign-in that hangs must not hold the browser forever.
            await authentication.ApplyAsync(request, timeout.Token);
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.TimedOut(logger, request.RequestUri, options.Value.TimeoutSeconds);
            throw new UpstreamException(UpstreamFailure.Timeout, inner: ex);
        }
        catch (HttpRequestException ex)
        {
            Log.Unreachable(logger, request.RequestUri, ex.HttpRequestError);
            throw new UpstreamException(UpstreamFailure.Unavailable, inner: ex);
        }

        if (response.IsSuccessStatusCode)
            return response;

        using (response)
        {
            var code = await ErrorCodeAsync(response, cancellationToken);
            Log.Refused(logger, (int)response.StatusCode, code, request.RequestUri);
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new UpstreamException(UpstreamFailure.KeyRefused, code),
                HttpStatusCode.TooManyRequests => new UpstreamException(UpstreamFailure.RateLimited, code, RetryAfter(response)),
                // Azure answers 404 for a deployment name it does not know: a configuration error, not a missing call.
                HttpStatusCode.NotFound when code == AzureDeploymentNotFound => new UpstreamException(UpstreamFailure.Rejected, code),
                HttpStatusCode.NotFound => new UpstreamException(UpstreamFailure.NotFound, code),
                >= HttpStatusCode.InternalServerError => new UpstreamException(UpstreamFailure.Unavailable, code),
                _ => new UpstreamException(UpstreamFailure.Rejected, code),
            };
        }
    }

    private static StringContent FormField(string value)
    {
        var content = new StringContent(value, Encoding.UTF8);
        content.Headers.ContentType = null;
        return content;
    }

    private static bool LooksLikeSdp(string body) => body.StartsWith("v=0", StringComparison.Ordinal);

    private static string? CallIdFrom(Uri? location)
    {
        if (location is null)
            return null;
        var path = location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?', '#')[0];
        var last = path.TrimEnd('/').Split('/')[^1];
        return CallIdPattern().IsMatch(last) ? last : null;
    }

    private const string AzureDeploymentNotFound = "DeploymentNotFound";

    /// <summary>
    /// <c>Retry-After</c>, or Azure's finer <c>retry-after-ms</c> when that is all there is.
    /// </summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => response.Headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            && ms >= 0 ? TimeSpan.FromSeconds(Math.Ceiling(ms / 1000)) : null,
    };

    /// <summary>
    /// Only the machine-readable code is kept: the messages can quote part of the key. OpenAI writes
    /// <c>{"error":{"code":"snake_case"}}</c>; Azure the same shape with PascalCase codes
    /// (<c>DeploymentNotFound</c>) or the status as a string (<c>"401"</c>), which says nothing more.
    /// </summary>
    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return json.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code)
                && code.ValueKind == JsonValueKind.String
                && code.GetString() is { } text
                && SafeCode().IsMatch(text)
                && !text.All(char.IsAsciiDigit) ? text : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or HttpRequestException)
        {
            return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.]{1,64}$")]
    private static partial Regex SafeCode();

    /// <summary>Log lines carry statuses, codes and call ids only: never bodies, keys or SDP.</summary>
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "OpenAI accepted call {CallId}")]
        public static partial void CallCreated(ILogger logger, string? callId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Hung up call {CallId}")]
        public static partial void HungUp(ILogger logger, string callId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAI answered {Status} with a {ContentType} body that is not SDP")]
        public static partial void AnswerNotSdp(ILogger logger, int status, string? contentType);

        [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAI's client secret answer could not be read")]
        public static partial void SecretUnreadable(ILogger logger);

        [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAI did not answer {Path} within {Seconds} s")]
        public static partial void TimedOut(ILogger logger, Uri? path, int seconds);

        [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAI could not be reached for {Path}: {Error}")]
        public static partial void Unreachable(ILogger logger, Uri? path, HttpRequestError error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAI answered {Status} ({ErrorCode}) to {Path}")]
        public static partial void Refused(ILogger logger, int status, string? errorCode, Uri? path);
    }
}
