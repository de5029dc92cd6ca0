namespace RealtimeRazor.Web.Realtime;

/// <summary>
/// A remote MCP server OpenAI calls on the model's behalf (<c>Realtime:McpServers:&lt;n&gt;</c>). This server
/// never calls it: the session configuration names it, OpenAI connects to it, and where approval is
/// required the page asks its user first.
/// </summary>
public sealed class McpServerOptions
{
    public static readonly IReadOnlyList<string> ApprovalModes = ["always", "never"];

    /// <summary>How the model and the page name the server (letters, digits, '-' and '_').</summary>
    public string Label { get; set; } = "";

    /// <summary>An https URL OpenAI can reach.</summary>
    public Uri? ServerUrl { get; set; }

    /// <summary>The server's tools the model may call; unset means all of them.</summary>
    public List<string>? AllowedTools { get; set; }

    /// <summary><c>always</c> (the default: the user approves each call) or <c>never</c>.</summary>
    public string RequireApproval { get; set; } = "always";

    /// <summary>Sent by OpenAI to the MCP server (an OAuth access token, for example); never shown or logged.</summary>
    public string? Authorization { get; set; }
}
