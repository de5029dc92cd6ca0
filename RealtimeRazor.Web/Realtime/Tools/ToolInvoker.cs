using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace RealtimeRazor.Web.Realtime.Tools;

/// <summary>A function call as OpenAI sends it in an output item.</summary>
public sealed record FunctionCall(string CallId, string Name, string Arguments);

/// <summary>
/// Runs one function call and always comes back with the text the model gets: the tool's result, or
/// a short error (bad arguments, unknown tool, a throw, the timeout) that never carries a stack trace.
/// </summary>
public sealed partial class ToolInvoker(TimeSpan timeout, ILogger logger)
{
    public async Task<string> InvokeAsync(FunctionCall call, IReadOnlyList<AIFunction> tools, IServiceProvider services, CancellationToken cancellationToken)
    {
        var tool = tools.FirstOrDefault(candidate => candidate.Name == call.Name);
        if (tool is null)
            return Error($"There is no tool named {call.Name}.");
        if (!TryReadArguments(call.Arguments, out var arguments))
            return Error("The arguments were not a JSON object.");

        arguments.Services = services;
        var started = Stopwatch.GetTimestamp();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(timeout);
        try
        {
            // On the pool and with WaitAsync: a tool that blocks, or ignores its token, still gives the model an answer on time.
            var result = await Task.Run(() => tool.InvokeAsync(arguments, cancel.Token).AsTask(), cancel.Token).WaitAsync(timeout, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            LogRan(logger, call.Name, elapsed.TotalMilliseconds);
            return Text(result);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogTimedOut(logger, call.Name, timeout.TotalSeconds);
            return Error($"The tool {call.Name} did not finish within {timeout.TotalSeconds:0.#} seconds.");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The exception's type only: its message may quote the arguments.
            LogFailed(logger, call.Name, ex.GetType().Name);
            return Error($"The tool {call.Name} failed.");
        }
    }

    /// <summary>Failures reach the model (and the page) as <c>{"error": "..."}</c>.</summary>
    public static string Error(string message) => JsonSerializer.Serialize(new { error = message });

    private static string Text(object? result) => result switch
    {
        null => "null",
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString()!,
        JsonElement element => JsonSerializer.Serialize(element),
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions),
    };

    private static bool TryReadArguments(string json, out AIFunctionArguments arguments)
    {
        arguments = [];
        if (string.IsNullOrWhiteSpace(json))
            return true;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return false;
            foreach (var property in document.RootElement.EnumerateObject())
                arguments[property.Name] = property.Value.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tool {Tool} ran in {Milliseconds:0.#} ms")]
    private static partial void LogRan(ILogger logger, string tool, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tool {Tool} did not finish within {Seconds} s")]
    private static partial void LogTimedOut(ILogger logger, string tool, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tool {Tool} threw {ExceptionType}")]
    private static partial void LogFailed(ILogger logger, string tool, string exceptionType);
}
