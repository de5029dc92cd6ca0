using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeRazor.Web.Realtime;
using RealtimeRazor.Web.Realtime.Tools;

namespace RealtimeRazor.Tests.Realtime.Sideband;

/// <summary>The pieces of the tool loop on their own: running one call, the built-in tools, the sideband's address.</summary>
public sealed class ToolTests
{
    private static readonly IServiceProvider NoServices = new ServiceCollection().BuildServiceProvider();

    private static Task<string> RunAsync(AIFunction tool, string arguments, double timeoutSeconds = 5) =>
        new ToolInvoker(TimeSpan.FromSeconds(timeoutSeconds), NullLogger.Instance)
            .InvokeAsync(new FunctionCall("call_1", tool.Name, arguments), [tool], NoServices, CancellationToken.None);

    [Fact]
    public async Task A_result_reaches_the_model_as_text_or_as_JSON()
    {
        Assert.Equal("hello Ada", await RunAsync(AIFunctionFactory.Create((string name) => $"hello {name}", "greet"), """{"name":"Ada"}"""));
        Assert.Equal("""{"celsius":21,"sky":"clear"}""", await RunAsync(AIFunctionFactory.Create(() => new { celsius = 21, sky = "clear" }, "weather"), "{}"));
        Assert.Equal("42", await RunAsync(AIFunctionFactory.Create((int a, int b) => a * b, "multiply"), """{"a":6,"b":7}"""));
    }

    [Fact]
    public async Task A_tool_that_ignores_its_cancellation_still_answers_at_the_timeout()
    {
        var stuck = AIFunctionFactory.Create(() => { Thread.Sleep(5000); return "late"; }, "stuck");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var output = await RunAsync(stuck, "{}", timeoutSeconds: 1);

        Assert.Equal("""{"error":"The tool stuck did not finish within 1 seconds."}""", output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"answered after {clock.Elapsed}");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    public async Task Arguments_that_are_not_a_JSON_object_are_refused_without_running_the_tool(string arguments)
    {
        var ran = false;
        var tool = AIFunctionFactory.Create(() => ran = true, "flag");

        Assert.Equal("""{"error":"The arguments were not a JSON object."}""", await RunAsync(tool, arguments));
        Assert.False(ran);
    }

    [Fact]
    public async Task A_throwing_tool_tells_the_model_it_failed_and_nothing_of_the_exception()
    {
        var tool = AIFunctionFactory.Create(string () => throw new InvalidOperationException("connection string Password=hunter2"), "lookup");

        var output = await RunAsync(tool, "{}");

        Assert.Equal("""{"error":"The tool lookup failed."}""", output);
    }

    [Fact]
    public void The_sideband_address_is_derived_from_the_base_url()
    {
        Assert.Equal("wss://api.openai.com/v1/realtime?call_id=rtc_abc", new OpenAIOptions().SidebandUrl("rtc_abc").AbsoluteUri);
        Assert.Equal("ws://127.0.0.1:5000/v1/realtime?call_id=rtc_abc", new OpenAIOptions { BaseUrl = new("http://127.0.0.1:5000/v1/") }.SidebandUrl("rtc_abc").AbsoluteUri);
        Assert.Equal("wss://proxy.example/openai/v1/realtime?call_id=rtc_a%2Fb", new OpenAIOptions { BaseUrl = new("https://proxy.example/openai/v1") }.SidebandUrl("rtc_a/b").AbsoluteUri);
    }

    [Fact]
    public void Documents_are_ranked_by_BM25_and_answered_with_their_file_name()
    {
        var library = DocumentLibrary.FromFiles([
            ("returns.md", "# Returns\nItems can be returned within 30 days with the receipt.\n\n# Shipping\nWe ship worldwide; shipping takes 5 days."),
            ("hours.md", "# Opening hours\nThe shop opens at 9 and closes at 18. Returns are handled at the service desk."),
        ]);

        var answer = library.Search("how many days to return items", maxResults: 1);

        Assert.StartsWith("From returns.md:\n# Returns\nItems can be returned within 30 days", answer);
        Assert.DoesNotContain("Shipping", answer);
        Assert.Equal("No document matches.", library.Search("parking", 3));
    }

    [Fact]
    public async Task The_clock_tool_tells_the_time_in_the_asked_or_default_time_zone()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero));
        var builtIns = new BuiltInTools(Options.Create(new BuiltInToolOptions { Clock = { Enabled = true, TimeZone = "Europe/Berlin" } }), clock);
        var tool = Assert.Single(builtIns.Enabled());

        Assert.Equal("current_time", tool.Name);
        Assert.Equal("2026-12-01T00:00:00+01:00 (Tuesday, Europe/Berlin)", await RunAsync(tool, "{}"));
        Assert.Equal("2026-12-01T08:00:00+09:00 (Tuesday, Asia/Tokyo)", await RunAsync(tool, """{"timeZone":"Asia/Tokyo"}"""));
        Assert.Equal("""{"error":"Unknown time zone Mars/Olympus."}""", await RunAsync(tool, """{"timeZone":"Mars/Olympus"}"""));
    }

    [Fact]
    public void Built_in_tools_are_all_off_until_enabled()
    {
        var builtIns = new BuiltInTools(Options.Create(new BuiltInToolOptions()), TimeProvider.System);

        Assert.Empty(builtIns.Enabled());
    }

    [Fact]
    public void The_session_describes_each_tool_with_its_JSON_schema()
    {
        var tool = AIFunctionFactory.Create(([System.ComponentModel.Description("City name")] string city) => city, "get_weather", "Weather in a city.");

        var described = Assert.Single(RealtimeTools.Describe([tool]))!;

        Assert.Equal("function", (string?)described["type"]);
        Assert.Equal("get_weather", (string?)described["name"]);
        Assert.Equal("Weather in a city.", (string?)described["description"]);
        Assert.Equal("City name", (string?)described["parameters"]!["properties"]!["city"]!["description"]);
        Assert.Equal(["city"], described["parameters"]!["required"]!.AsArray().Select(name => (string)name!));
        _ = JsonSerializer.Serialize(described);
    }

    /// <summary>The README's "write your own tool" example, as written there: it registers and answers.</summary>
    [Fact]
    public async Task The_README_example_tool_registers_and_answers()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddSingleton<OrderLookup>();
        services.AddSingleton(provider =>
        {
            var orders = provider.GetRequiredService<OrderLookup>();
            return AIFunctionFactory.Create(
                ([System.ComponentModel.Description("The order number the user read out")] string orderNumber, CancellationToken cancellationToken) =>
                    orders.StatusAsync(orderNumber, cancellationToken),
                name: "order_status",
                description: "Where an order is and when it arrives.");
        });

        var tool = Assert.Single(services.BuildServiceProvider().GetServices<AIFunction>());

        Assert.Equal("Order 42 ships tomorrow.", await RunAsync(tool, """{"orderNumber":"42"}"""));
        Assert.Equal(["orderNumber"], RealtimeTools.Describe([tool])[0]!["parameters"]!["required"]!.AsArray().Select(name => (string)name!));
    }

    private sealed class OrderLookup
    {
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "As in the README, where it stands for a database or API call.")]
        public async Task<string> StatusAsync(string orderNumber, CancellationToken cancellationToken)
        {
            await Task.Delay(50, cancellationToken);
            return $"Order {orderNumber} ships tomorrow.";
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
