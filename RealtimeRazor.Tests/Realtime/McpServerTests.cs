using System.Text.Json.Nodes;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>Remote MCP servers go to OpenAI as <c>mcp</c> tools of the session; their secrets go nowhere else.</summary>
public sealed class McpServerTests
{
    private const string Secret = "mcp-secret-token-4711";

    private static Dictionary<string, string?> WithDocsServer(string negotiation = "Relay") => new()
    {
        ["Access:Mode"] = "Open",
        ["Realtime:Negotiation"] = negotiation,
        ["Realtime:McpServers:0:Label"] = "docs",
        ["Realtime:McpServers:0:ServerUrl"] = "https://mcp.example.com/sse",
        ["Realtime:McpServers:0:AllowedTools:0"] = "search",
        ["Realtime:McpServers:0:AllowedTools:1"] = "fetch",
        ["Realtime:McpServers:0:Authorization"] = Secret,
        ["Realtime:McpServers:1:Label"] = "weather",
        ["Realtime:McpServers:1:ServerUrl"] = "https://weather.example.net/mcp",
        ["Realtime:McpServers:1:RequireApproval"] = "never",
    };

    private static void AssertMcpTools(JsonNode session)
    {
        var tools = session["tools"]!.AsArray();
        var docs = tools.Single(tool => (string?)tool!["server_label"] == "docs")!;
        Assert.Equal("mcp", (string?)docs["type"]);
        Assert.Equal("https://mcp.example.com/sse", (string?)docs["server_url"]);
        Assert.Equal(["search", "fetch"], docs["allowed_tools"]!.AsArray().Select(name => (string?)name));
        Assert.Equal("always", (string?)docs["require_approval"]);
        Assert.Equal(Secret, (string?)docs["authorization"]);
        var weather = tools.Single(tool => (string?)tool!["server_label"] == "weather")!;
        Assert.Equal("never", (string?)weather["require_approval"]);
        Assert.Null(weather["allowed_tools"]);
        Assert.Null(weather["authorization"]);
    }

    [Fact]
    public async Task A_relayed_call_offers_each_configured_MCP_server_to_OpenAI()
    {
        using var app = new TestApp(WithDocsServer());

        using var answer = await app.PostOfferAsync();

        Assert.Equal(System.Net.HttpStatusCode.Created, answer.StatusCode);
        var call = Assert.Single(await app.UpstreamRequestsAsync("/realtime/calls")).RequestMessage!;
        var fields = await Multipart.ReadFieldsAsync(call.Headers!["Content-Type"].Single(), call.Body!);
        AssertMcpTools(JsonNode.Parse(fields["session"])!);
    }

    [Fact]
    public async Task A_client_secret_carries_the_MCP_servers_in_its_session_but_the_browser_gets_no_secret_of_theirs()
    {
        using var app = new TestApp(WithDocsServer("Direct"));

        using var minted = await app.Client.PostAsync("/api/realtime/client-secret", null);
        var page = await app.Client.GetStringAsync("/");

        var request = Assert.Single(await app.UpstreamRequestsAsync("/realtime/client_secrets")).RequestMessage!;
        AssertMcpTools(JsonNode.Parse(request.Body!)!["session"]!);
        Assert.DoesNotContain(Secret, await minted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Realtime:McpServers:0:Label", "has space", "Realtime:McpServers:0:Label")]
    [InlineData("Realtime:McpServers:0:ServerUrl", "http://mcp.example.com/sse", "Realtime:McpServers:0:ServerUrl")]
    [InlineData("Realtime:McpServers:0:ServerUrl", "https://user:pass@mcp.example.com/", "Realtime:McpServers:0:ServerUrl")]
    [InlineData("Realtime:McpServers:0:RequireApproval", "sometimes", "Realtime:McpServers:0:RequireApproval")]
    [InlineData("Realtime:McpServers:1:Label", "DOCS", "Realtime:McpServers:1:Label")]
    public void A_wrong_MCP_server_setting_stops_startup_naming_the_key(string key, string value, string named)
    {
        var settings = WithDocsServer();
        settings[key] = value;
        using var app = new TestApp(settings);

        var ex = Record.Exception(() => app.Realtime);

        Assert.NotNull(ex);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pass@", ex.Message, StringComparison.Ordinal);
    }
}
