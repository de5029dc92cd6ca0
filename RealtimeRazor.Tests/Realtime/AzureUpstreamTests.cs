using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeRazor.Tests.Infrastructure;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>
/// Azure OpenAI's GA Realtime interface as Microsoft documents it: everything under
/// <c>/openai/v1</c>, no <c>api-version</c>, the deployment name as the model, the key in an
/// <c>api-key</c> header or a Microsoft Entra ID bearer token, and <c>webrtcfilter=on</c> on the
/// browser's own calls URL.
/// </summary>
public sealed class AzureUpstreamTests : IDisposable
{
    public const string Deployment = "voice-prod-east";
    private const string AzureKey = "azkey-FAKE-0123456789abcdef0123456789abcdef";

    private readonly FakeOpenAI _azure = new(pathBase: FakeOpenAI.AzurePathBase);
    private readonly LogCapture _logs = new();
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        // Clients, then derived factories, then the app: the reverse of their making.
        for (var index = _disposables.Count - 1; index >= 0; index--)
            _disposables[index].Dispose();
        _azure.Dispose();
    }

    /// <summary>
    /// The real app in front of the Azure-shaped fake. Without <paramref name="credential"/> it signs in
    /// with a key; with one, it has no key and the test's credential is swapped in for Entra ID.
    /// </summary>
    private HttpClient App(Dictionary<string, string?>? extra = null, TokenCredential? credential = null, TimeProvider? clock = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["OpenAI:Provider"] = "Azure",
            ["OpenAI:ApiKey"] = credential is null ? AzureKey : "",
            ["Realtime:Model"] = Deployment,
            // Calls are never hung up here; the per-user cap is not what these tests are about.
            ["Access:MaxSessionsPerUser"] = "5",
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        var factory = new AppFactory(_azure, settings, logs: _logs);
        _disposables.Add(factory);
        WebApplicationFactory<Program> app = factory;
        if (credential is not null || clock is not null)
        {
            app = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            {
                if (credential is not null)
                    services.AddSingleton(credential);
                if (clock is not null)
                    services.AddSingleton(clock);
            }));
            _disposables.Add(app);
        }
        var client = app.CreateClient(new() { AllowAutoRedirect = false });
        _disposables.Add(client);
        return client;
    }

    private async Task<WireMock.IRequestMessage> TheOnlyUpstreamRequestAsync(string path)
    {
        await Await.UntilAsync(() => _azure.Requests(path).Count >= 1, $"a request to {path}");
        Assert.Single(_azure.Arrivals(path));
        return Assert.Single(_azure.Requests(path)).RequestMessage!;
    }

    private static Task<HttpResponseMessage> PostOfferAsync(HttpClient client) => client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer));

    private static void AssertKeyHeader(WireMock.IRequestMessage request)
    {
        Assert.Equal(AzureKey, Assert.Single(request.Headers!["api-key"]));
        Assert.False(request.Headers.ContainsKey("Authorization"), "Azure got an Authorization header besides its api-key");
    }

    private static void AssertNoQueryButDcid(WireMock.IRequestMessage request)
    {
        var names = request.Query?.Keys ?? [];
        Assert.DoesNotContain("api-version", names);
        Assert.All(names, name => Assert.Equal("dcid", name));
    }

    [Fact]
    public async Task A_relayed_offer_goes_to_Azure_as_multipart_with_the_api_key_and_the_deployment_as_model()
    {
        var client = App();

        using var response = await PostOfferAsync(client);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(FakeOpenAI.StaticAnswer, await response.Content.ReadAsStringAsync());
        Assert.Equal($"/api/realtime/calls/{FakeOpenAI.CallId}", response.Headers.Location?.OriginalString);
        var request = await TheOnlyUpstreamRequestAsync("/realtime/calls");
        Assert.Equal("POST", request.Method);
        Assert.Equal("/openai/v1/realtime/calls", request.Path);
        AssertKeyHeader(request);
        AssertNoQueryButDcid(request);
        var contentType = request.Headers!["Content-Type"].Single();
        Assert.StartsWith("multipart/form-data", contentType, StringComparison.Ordinal);
        var fields = await Multipart.ReadFieldsAsync(contentType, request.Body!);
        Assert.Equal(TestData.Offer, fields["sdp"]);
        Assert.Equal(Deployment, JsonNode.Parse(fields["session"])!["model"]!.GetValue<string>());
        Assert.DoesNotContain(_logs.Lines, line => line.Contains(AzureKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Direct_mode_mints_the_secret_at_Azure_and_sends_the_browser_to_the_filtered_calls_url()
    {
        var client = App(new() { ["Realtime:Negotiation"] = "Direct" });

        using var response = await client.PostAsync("/api/realtime/client-secret", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(FakeOpenAI.EphemeralKey, json.RootElement.GetProperty("value").GetString());
        Assert.Equal(_azure.Server.Url + "/openai/v1/realtime/calls?webrtcfilter=on", json.RootElement.GetProperty("callsUrl").GetString());
        var request = await TheOnlyUpstreamRequestAsync("/realtime/client_secrets");
        Assert.Equal("/openai/v1/realtime/client_secrets", request.Path);
        AssertKeyHeader(request);
        AssertNoQueryButDcid(request);
        Assert.Equal(Deployment, JsonNode.Parse(request.Body!)!["session"]!["model"]!.GetValue<string>());

        // The page may post its offer to Azure's origin, and only there.
        using var page = await client.GetAsync("/");
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains($"connect-src 'self' {_azure.Server.Url};", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disconnect_hangs_the_call_up_at_Azure_with_the_api_key()
    {
        var client = App();
        using var created = await PostOfferAsync(client);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var response = await client.DeleteAsync(created.Headers.Location);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var request = await TheOnlyUpstreamRequestAsync($"/realtime/calls/{FakeOpenAI.CallId}/hangup");
        Assert.Equal("POST", request.Method);
        AssertKeyHeader(request);
        AssertNoQueryButDcid(request);
    }

    // Azure's own error bodies: the status as a string code, or a PascalCase code, and messages that can name the resource.
    [Theory]
    [InlineData(401, """{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. AZURE-MESSAGE"}}""", HttpStatusCode.BadGateway, "upstream_key_refused", null)]
    [InlineData(403, """{"error":{"code":"PermissionDenied","message":"The principal lacks the required data action. AZURE-MESSAGE"}}""", HttpStatusCode.BadGateway, "upstream_key_refused", null)]
    [InlineData(404, """{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. AZURE-MESSAGE"}}""", HttpStatusCode.BadGateway, "upstream_rejected", "DeploymentNotFound")]
    [InlineData(400, """{"error":{"code":"400","message":"Invalid session. AZURE-MESSAGE"}}""", HttpStatusCode.BadGateway, "upstream_rejected", null)]
    [InlineData(500, """{"statusCode":500,"message":"Internal server error. AZURE-MESSAGE"}""", HttpStatusCode.BadGateway, "upstream_unavailable", null)]
    public async Task Azure_error_answers_get_the_same_clear_messages(int status, string body, HttpStatusCode expected, string code, string? azureCode)
    {
        var client = App();
        _azure.Fail("/realtime/calls", status, body: body);

        using var response = await PostOfferAsync(client);

        var problem = await Problem.AssertAsync(response, expected, code);
        Assert.DoesNotContain("AZURE-MESSAGE", problem.GetRawText(), StringComparison.Ordinal);
        if (azureCode is null)
            Assert.False(problem.TryGetProperty("openAICode", out _), $"a code that says nothing more was passed on: {problem}");
        else
            Assert.Equal(azureCode, problem.GetProperty("openAICode").GetString());
        Assert.Single(_azure.Arrivals("/realtime/calls"));
    }

    [Fact]
    public async Task Azure_rate_limiting_with_only_retry_after_ms_tells_the_user_how_long_to_wait()
    {
        var client = App();
        _azure.Fail("/realtime/calls", 429, body: """{"error":{"code":"429","message":"Requests have exceeded the call rate limit."}}""",
            headers: new Dictionary<string, string> { ["retry-after-ms"] = "2500" });

        using var response = await PostOfferAsync(client);

        var problem = await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "upstream_rate_limited");
        Assert.Equal(3, problem.GetProperty("retryAfter").GetInt32());
    }

    [Fact]
    public async Task Entra_ID_tokens_are_sent_as_bearer_cached_and_refreshed_before_they_expire()
    {
        var clock = new ManualClock();
        var credential = new ScriptedCredential(clock, lifetime: TimeSpan.FromMinutes(60));
        var client = App(credential: credential, clock: clock);

        using (var first = await PostOfferAsync(client))
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        clock.Advance(TimeSpan.FromMinutes(50));
        using (var second = await PostOfferAsync(client))
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);

        // One sign-in served both calls: the token had 10 minutes left.
        Assert.Equal(1, credential.Calls);
        Assert.Equal(new[] { "https://cognitiveservices.azure.com/.default" }, credential.Scopes);

        // Five minutes before expiry it is replaced, before any call could be refused with it.
        clock.Advance(TimeSpan.FromMinutes(6));
        using (var third = await PostOfferAsync(client))
            Assert.Equal(HttpStatusCode.Created, third.StatusCode);
        Assert.Equal(2, credential.Calls);

        await Await.UntilAsync(() => _azure.Requests("/realtime/calls").Count >= 3, "three calls");
        var headers = _azure.Requests("/realtime/calls").Select(entry => entry.RequestMessage!.Headers!).ToList();
        Assert.All(headers, header => Assert.False(header.ContainsKey("api-key"), "an api-key header was sent with Entra ID"));
        Assert.Equal(new[] { "Bearer entra-token-1", "Bearer entra-token-1", "Bearer entra-token-2" }, headers.Select(header => header["Authorization"].Single()));

        Assert.DoesNotContain(_logs.Lines, line => line.Contains("entra-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_with_a_short_lifetime_is_refreshed_at_half_its_life()
    {
        var clock = new ManualClock();
        var credential = new ScriptedCredential(clock, lifetime: TimeSpan.FromMinutes(4));
        var client = App(credential: credential, clock: clock);

        using (await PostOfferAsync(client)) { }
        clock.Advance(TimeSpan.FromMinutes(1.5));
        using (await PostOfferAsync(client)) { }
        Assert.Equal(1, credential.Calls);
        clock.Advance(TimeSpan.FromMinutes(1));
        using (await PostOfferAsync(client)) { }
        Assert.Equal(2, credential.Calls);
    }

    [Fact]
    public async Task A_failing_credential_gives_a_clear_502_and_a_log_line_naming_the_credential_type()
    {
        var credential = new ScriptedCredential(TimeProvider.System, lifetime: TimeSpan.FromMinutes(60)) { Failure = "AADSTS700016: secret-detail-from-entra" };
        var client = App(credential: credential);

        using var response = await PostOfferAsync(client);

        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream_sign_in_failed");
        Assert.Equal("Could not sign in to Azure", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("secret-detail", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Empty(_azure.Arrivals());
        Assert.Contains(_logs.Lines, line => line.Contains("Could not sign in to Azure with", StringComparison.Ordinal) && line.Contains("\"CredentialType\":\"ScriptedCredential\"", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, line => line.Contains("secret-detail", StringComparison.Ordinal) && !line.Contains("\"@l\":\"Debug\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refresh_that_fails_keeps_the_still_valid_token()
    {
        var clock = new ManualClock();
        var credential = new ScriptedCredential(clock, lifetime: TimeSpan.FromMinutes(60));
        var client = App(credential: credential, clock: clock);
        using (await PostOfferAsync(client)) { }

        credential.Failure = "Entra is down";
        clock.Advance(TimeSpan.FromMinutes(57));
        using var response = await PostOfferAsync(client);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, credential.Calls);
    }

    [Fact]
    public async Task The_page_names_the_provider_and_deployment_and_says_sessions_are_capped_at_30_minutes()
    {
        var client = App(new() { ["Realtime:MaxSessionMinutes"] = "45" });

        var html = await client.GetStringAsync("/");

        Assert.Contains("Served by Azure OpenAI, deployment " + Deployment, html, StringComparison.Ordinal);
        Assert.Contains("so a session here lasts at most 30 minutes", html, StringComparison.Ordinal);
        Assert.Contains("data-max-session-seconds=\"1800\"", html, StringComparison.Ordinal);
        // Rendered as a log sink writes it (Serilog quotes text values).
        Assert.Contains(_logs.Lines, line => line.Contains("Realtime:MaxSessionMinutes is 45, but \"Azure OpenAI\" ends sessions after 30 minutes", StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, line => line.Contains($"Upstream: \"Azure OpenAI\" at \"{_azure.Server.Url}\", \"deployment\" \"{Deployment}\", signing in with \"API key (api-key header)\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_cost_estimate_uses_the_price_model_for_a_deployment()
    {
        var client = App(new() { ["Realtime:PriceModel"] = "gpt-realtime-mini" });

        var html = await client.GetStringAsync("/");

        var data = System.Text.RegularExpressions.Regex.Match(html, "<script id=\"page-data\" type=\"application/json\">(.*?)</script>").Groups[1].Value;
        var price = JsonNode.Parse(System.Net.WebUtility.HtmlDecode(data))!["price"];
        Assert.NotNull(price);
        Assert.Equal(10m, price["audioInput"]!.GetValue<decimal>());
    }

    /// <summary>
    /// Microsoft Entra ID as the app sees it through Azure.Identity's abstraction: numbered tokens with a
    /// fixed lifetime on the test's clock, or a scripted failure.
    /// </summary>
    private sealed class ScriptedCredential(TimeProvider clock, TimeSpan lifetime) : TokenCredential
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public List<string> Scopes { get; } = [];

        public string? Failure { get; set; }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            lock (Scopes)
            {
                Scopes.Clear();
                Scopes.AddRange(requestContext.Scopes);
            }
            if (Failure is { } failure)
                throw new Azure.Identity.AuthenticationFailedException(failure);
            return ValueTask.FromResult(new AccessToken($"entra-token-{call}", clock.GetUtcNow() + lifetime));
        }
    }
}

/// <summary>Startup refuses Azure settings that cannot work, naming the key; the rest is wired as documented.</summary>
public sealed class AzureOptionsTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateEmptyBuilder(new Microsoft.AspNetCore.Builder.WebApplicationOptions());
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration, settings);
        builder.AddRealtime();
        return builder.Services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> Azure(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["OpenAI:Provider"] = "Azure",
            ["OpenAI:BaseUrl"] = "https://contoso-voice.openai.azure.com/openai/v1",
        };
        foreach (var (key, value) in extra)
            settings[key] = value;
        return settings;
    }

    private static string StartupMessage(Dictionary<string, string?> settings)
    {
        using var services = Services(settings);
        var ex = Record.Exception(() =>
        {
            _ = services.GetRequiredService<IOptions<OpenAIOptions>>().Value;
            _ = services.GetRequiredService<IOptions<RealtimeOptions>>().Value;
        });
        Assert.NotNull(ex);
        Assert.True(RealtimeRazor.Web.Hosting.StartupFailure.IsConfigurationError(ex), $"not treated as a configuration error: {ex}");
        return RealtimeRazor.Web.Hosting.StartupFailure.Describe(ex);
    }

    [Theory]
    [InlineData("OpenAI:Provider", "Azur", "OpenAI:Provider")]
    [InlineData("OpenAI:BaseUrl", "https://contoso-voice.openai.azure.com/v1", "OpenAI:BaseUrl must end in /openai/v1")]
    [InlineData("OpenAI:BaseUrl", "https://contoso-voice.openai.azure.com/openai/deployments/voice/realtime", "OpenAI:BaseUrl must end in /openai/v1")]
    [InlineData("OpenAI:BaseUrl", "https://contoso-voice.openai.azure.com/openai/v1?api-version=2025-04-01-preview", "no api-version")]
    [InlineData("OpenAI:BaseUrl", "http://contoso-voice.openai.azure.com/openai/v1", "OpenAI:BaseUrl must use https")]
    [InlineData("OpenAI:ManagedIdentityClientId", "not-a-guid", "OpenAI:ManagedIdentityClientId must be")]
    [InlineData("Realtime:PriceModel", "gpt-unknown", "Realtime:PriceModel 'gpt-unknown' has no price in Realtime:Prices")]
    public void An_Azure_setting_that_cannot_work_stops_startup_naming_its_key(string key, string value, string expected)
    {
        Assert.Contains(expected, StartupMessage(Azure((key, value))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_managed_identity_next_to_a_key_is_refused()
    {
        var message = StartupMessage(Azure(("OpenAI:ApiKey", "azkey"), ("OpenAI:ManagedIdentityClientId", "6f1a3c0e-2b4d-4c8e-9a7f-0d1e2f3a4b5c")));

        Assert.Contains("OpenAI:ManagedIdentityClientId and OpenAI:ApiKey are both set", message, StringComparison.Ordinal);
        Assert.DoesNotContain("azkey", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Azure_endpoint_with_the_OpenAI_provider_is_refused_naming_the_provider_key()
    {
        var message = StartupMessage(new() { ["OpenAI:BaseUrl"] = "https://contoso-voice.openai.azure.com/openai/v1" });

        Assert.Contains("set OpenAI:Provider to Azure", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_managed_identity_with_the_OpenAI_provider_is_refused()
    {
        Assert.Contains("OpenAI:ManagedIdentityClientId is only used with OpenAI:Provider Azure",
            StartupMessage(new() { ["OpenAI:ManagedIdentityClientId"] = "6f1a3c0e-2b4d-4c8e-9a7f-0d1e2f3a4b5c" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://contoso-voice.openai.azure.com/openai/v1")]
    [InlineData("https://contoso-voice.openai.azure.com/openai/v1/")]
    [InlineData("https://voice.contoso.example/openai/v1")]
    public void Azure_endpoints_and_custom_domains_are_accepted(string baseUrl)
    {
        using var services = Services(Azure(("OpenAI:BaseUrl", baseUrl)));

        var options = services.GetRequiredService<IOptions<OpenAIOptions>>().Value;
        _ = services.GetRequiredService<IOptions<RealtimeOptions>>().Value;
        Assert.Equal(UpstreamProvider.Azure, options.Provider);
    }

    [Fact]
    public void Azure_reads_AZURE_OPENAI_API_KEY_and_never_OPENAI_API_KEY()
    {
        using (var services = Services(Azure(("OPENAI_API_KEY", "sk-openai-key"))))
        {
            var options = services.GetRequiredService<IOptions<OpenAIOptions>>().Value;
            Assert.False(options.HasApiKey);
            Assert.True(options.UsesEntraId);
        }
        using (var services = Services(Azure(("AZURE_OPENAI_API_KEY", "azure-key"))))
            Assert.Equal("azure-key", services.GetRequiredService<IOptions<OpenAIOptions>>().Value.ApiKey);
    }

    [Fact]
    public void Without_a_key_Azure_signs_in_with_DefaultAzureCredential_or_the_configured_managed_identity()
    {
        using (var services = Services(Azure()))
            Assert.IsType<Azure.Identity.DefaultAzureCredential>(services.GetRequiredService<TokenCredential>());
        using (var services = Services(Azure(("OpenAI:ManagedIdentityClientId", "6f1a3c0e-2b4d-4c8e-9a7f-0d1e2f3a4b5c"))))
            Assert.IsType<Azure.Identity.ManagedIdentityCredential>(services.GetRequiredService<TokenCredential>());
        using (var services = Services(Azure(("OpenAI:ApiKey", "azure-key"))))
            Assert.IsType<ApiKeyAuthentication>(services.GetRequiredService<UpstreamAuthentication>());
    }

    [Fact]
    public void Azure_caps_the_session_length_at_30_minutes_and_OpenAI_does_not()
    {
        using (var services = Services(Azure(("Realtime:MaxSessionMinutes", "45"))))
        {
            var realtime = services.GetRequiredService<IOptions<RealtimeOptions>>().Value;
            Assert.Equal(30, realtime.MaxSessionMinutes);
            Assert.Equal(45, realtime.MaxSessionMinutesCappedFrom);
        }
        using (var services = Services(new() { ["Realtime:MaxSessionMinutes"] = "45" }))
            Assert.Equal(45, services.GetRequiredService<IOptions<RealtimeOptions>>().Value.MaxSessionMinutes);
    }
}
