using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("RealtimeRazor.Tests.Browser.Tracing.TraceKeepingTestFramework", "RealtimeRazor.Tests")]

namespace RealtimeRazor.Tests.Browser.Tracing;

/// <summary>
/// xunit v2's own framework, plus what v2 never tells a test: whether it passed. Each test runs in a
/// <see cref="TestTraces"/> scope; its result message keeps or deletes the traces saved in it.
/// </summary>
public sealed class TraceKeepingTestFramework(IMessageSink diagnosticMessageSink) : XunitTestFramework(diagnosticMessageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            // Synchronous reporting delivers "test starting" on the test's own flow, so the scope
            // TestTraces.Begin sets there is the one the test body sees.
            executionOptions.SetValue("xunit.execution.SynchronousMessageReporting", true);
            base.RunTestCases(testCases, new ResultSink(executionMessageSink), executionOptions);
        }
    }
}

/// <summary>Opens each test's trace scope as it starts and settles it with the test's result.</summary>
public sealed class ResultSink(IMessageSink next) : LongLivedMarshalByRefObject, IMessageSink
{
    public bool OnMessage(IMessageSinkMessage message)
    {
        switch (message)
        {
            case ITestStarting starting:
                TestTraces.Begin(starting.Test);
                break;
            case ITestFailed failed:
                var kept = TestTraces.End(failed.Test, failed: true);
                if (kept.Count > 0)
                {
                    var output = failed.Output + $"Playwright traces of this failure: {string.Join(", ", kept)}{Environment.NewLine}";
                    message = new TestFailed(failed.Test, failed.ExecutionTime, output, failed.ExceptionTypes, failed.Messages, failed.StackTraces, failed.ExceptionParentIndices);
                }
                break;
            case ITestResultMessage result:
                TestTraces.End(result.Test, failed: false);
                break;
        }
        return next.OnMessage(message);
    }
}
