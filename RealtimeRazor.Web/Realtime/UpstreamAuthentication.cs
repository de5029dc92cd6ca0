using System.Net.Http.Headers;
using Azure.Core;
using Azure.Identity;

namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// The one place that knows how this server authenticates upstream: OpenAI's bearer key, Azure's
/// <c>api-key</c> header, or a Microsoft Entra ID bearer token. Every HTTP call applies it to its request;
/// a WebSocket handshake asks for the header itself.
/// </summary>
public abstract class UpstreamAuthentication
{
    public const string AzureScope = "https://cognitiveservices.azure.com/.default";

    /// <summary>The header to send, name and value. The value is a secret: never log it.</summary>
    public abstract ValueTask<(string Name, string Value)> HeaderAsync(CancellationToken cancellationToken);

    public async ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (name, value) = await HeaderAsync(cancellationToken);
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    }

    public static UpstreamAuthentication For(OpenAIOptions options, IServiceProvider services) => options.UsesEntraId
        ? new EntraIdAuthentication(services.GetRequiredService<TokenCredential>(), services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<EntraIdAuthentication>>())
        : new ApiKeyAuthentication(options);

    /// <summary>
    /// The Entra credential for Azure without a key: the configured user-assigned managed identity, or
    /// whatever <see cref="DefaultAzureCredential"/> finds (environment, workload identity, managed identity, Azure CLI).
    /// </summary>
    public static TokenCredential AzureCredential(OpenAIOptions options) => options.ManagedIdentityClientId is { Length: > 0 } clientId
        ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
        : new DefaultAzureCredential();
}

/// <summary>The configured key: OpenAI takes it as a bearer token, Azure in its own <c>api-key</c> header.</summary>
public sealed class ApiKeyAuthentication(OpenAIOptions options) : UpstreamAuthentication
{
    private readonly (string, string) _header = options.Provider == UpstreamProvider.Azure
        ? ("api-key", options.ApiKey ?? string.Empty)
        : ("Authorization", new AuthenticationHeaderValue("Bearer", options.ApiKey).ToString());

    public override ValueTask<(string Name, string Value)> HeaderAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_header);
}

/// <summary>
/// Bearer tokens for Azure OpenAI from Microsoft Entra ID. One token is shared by every call and
/// replaced before it expires (at the credential's own refresh time, or when at most a few minutes or
/// half its lifetime are left), so a call never waits on a sign-in unless the token is due.
/// </summary>
public sealed partial class EntraIdAuthentication(TokenCredential credential, TimeProvider time, ILogger<EntraIdAuthentication> logger) : UpstreamAuthentication, IDisposable
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    /// <summary>A token this close to its expiry is not sent even when a refresh failed: the call would fail anyway.</summary>
    private static readonly TimeSpan UsableMargin = TimeSpan.FromSeconds(30);
    private static readonly TokenRequestContext Request = new([AzureScope]);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    /// <summary>Replaced whole, never changed: calls read it without the lock and must not see half of one.</summary>
    private volatile CachedToken? _cached;

    private sealed record CachedToken(AccessToken Token, DateTimeOffset RefreshAt);

    public override async ValueTask<(string Name, string Value)> HeaderAsync(CancellationToken cancellationToken)
    {
        var token = await TokenAsync(cancellationToken);
        return ("Authorization", "Bearer " + token.Token);
    }

    private async ValueTask<AccessToken> TokenAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && time.GetUtcNow() < cached.RefreshAt)
            return cached.Token;

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            // Another call may have refreshed it while this one waited.
            var now = time.GetUtcNow();
            if (_cached is { } fresh && now < fresh.RefreshAt)
                return fresh.Token;
            try
            {
                var token = await credential.GetTokenAsync(Request, cancellationToken);
                _cached = new CachedToken(token, RefreshTime(token, now));
                Log.TokenObtained(logger, credential.GetType().Name, token.ExpiresOn);
                return token;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The credential's message can be long and name local accounts: kept below Information.
                Log.SignInFailed(logger, credential.GetType().Name, ex.GetType().Name);
                Log.SignInFailure(logger, ex.Message);
                if (_cached is { } stillValid && stillValid.Token.ExpiresOn - now > UsableMargin)
                    return stillValid.Token;
                throw new UpstreamException(UpstreamFailure.SignInFailed, inner: ex);
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    private static DateTimeOffset RefreshTime(AccessToken token, DateTimeOffset now)
    {
        if (token.RefreshOn is { } refreshOn && refreshOn < token.ExpiresOn)
            return refreshOn;
        var lifetime = token.ExpiresOn - now;
        return token.ExpiresOn - (lifetime / 2 < RefreshMargin ? lifetime / 2 : RefreshMargin);
    }

    /// <summary>Names the credential type, never a token.</summary>
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Signed in to Azure with {CredentialType}; token valid until {ExpiresOn:u}")]
        public static partial void TokenObtained(ILogger logger, string credentialType, DateTimeOffset expiresOn);

        [LoggerMessage(Level = LogLevel.Error, Message = "Could not sign in to Azure with {CredentialType} ({ErrorType}); check the identity's access to the Azure OpenAI resource")]
        public static partial void SignInFailed(ILogger logger, string credentialType, string errorType);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Azure sign-in failure: {Reason}")]
        public static partial void SignInFailure(ILogger logger, string reason);
    }
}
