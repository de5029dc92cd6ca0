using System.Net;

namespace RealtimeRazor.Web.Access;

/// <summary>
/// Who signed in, started or ended a session, or was refused, and why: the user's name or the client's
/// address, never a passcode, key, SDP body or transcript.
/// </summary>
public sealed partial class AuditLog(ILogger<AuditLog> logger)
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in succeeded: {User} from {Client}")]
    public partial void SignedIn(string user, IPAddress? client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in failed from {Client}: {Reason}")]
    public partial void SignInFailed(IPAddress? client, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed out: {User} from {Client}")]
    public partial void SignedOut(string? user, IPAddress? client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in of {User} ended from {Client}: {Reason}")]
    public partial void SignInRevoked(string? user, IPAddress? client, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session started: call {CallId} for {Identity}")]
    public partial void CallStarted(string? callId, string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session started: client secret for {Identity}")]
    public partial void ClientSecretIssued(string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session ended: call {CallId} hung up by {Identity}")]
    public partial void CallEnded(string callId, string identity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session refused for {Identity}: {Reason}")]
    public partial void SessionRefused(string identity, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request refused for {Identity} on {Path}: {Reason}")]
    public partial void RequestRefused(string identity, string path, string reason);
}
