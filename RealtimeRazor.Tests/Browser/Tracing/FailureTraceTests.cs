using System.IO.Compression;
using Xunit.Abstractions;
using Xunit.Sdk;
using static Microsoft.Playwright.Assertions;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Browser.Tracing;

/// <summary>A failed browser test leaves its Playwright traces under artifacts/playwright-traces/; a passed one leaves none.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FailureTraceTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_failing_browser_test_keeps_its_traces_and_a_passing_one_leaves_none()
    {
        // This test runs in a trace scope of its own: the framework is in place for every test.
        Assert.NotNull(TestTraces.Current);

        var failed = await RunScenarioAsync("Scenario_that_fails",
            voice => Expect(voice.Status).ToHaveTextAsync("Connected", new() { Timeout = 2_000 }));
        var passed = await RunScenarioAsync("Scenario_that_passes",
            voice => Expect(voice.Status).ToHaveTextAsync("Not connected", new() { Timeout = 15_000 }));
        try
        {
            var result = Assert.IsAssignableFrom<ITestFailed>(failed.Result);
            Assert.Equal(["peer", "user"], failed.Files.Select(file => Path.GetFileNameWithoutExtension(file).Split('.')[^1]).Order());
            foreach (var file in failed.Files)
            {
                using var zip = ZipFile.OpenRead(file);
                var entries = zip.Entries.Select(entry => entry.FullName).ToList();
                Assert.Contains("trace.trace", entries);
                Assert.Contains("trace.network", entries);
                Assert.All(zip.Entries.Where(entry => entry.FullName.StartsWith("trace.", StringComparison.Ordinal)), entry => Assert.True(entry.Length > 0, entry.FullName));
            }
            using (var user = ZipFile.OpenRead(failed.Files.Single(file => file.EndsWith(".user.zip", StringComparison.Ordinal))))
            {
                // What the user saw: screenshots, and DOM snapshots of the page's status.
                Assert.Contains(user.Entries, entry => entry.FullName.StartsWith("screencast/", StringComparison.Ordinal));
                using var events = new StreamReader(user.GetEntry("trace.trace")!.Open());
                var trace = await events.ReadToEndAsync();
                Assert.Contains("\"type\":\"frame-snapshot\"", trace);
                Assert.Contains("Not connected", trace);
            }
            // The failure report says where its traces are.
            Assert.Contains(Path.GetRelativePath(Repository.Root, failed.Files[0]), result.Output);

            Assert.IsAssignableFrom<ITestPassed>(passed.Result);
            Assert.Empty(passed.Files);
        }
        finally
        {
            foreach (var file in failed.Files.Concat(passed.Files))
                File.Delete(file);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> the way xunit runs a test, through the same message sink: "starting"
    /// on the test's flow, the body with its harness disposed, then its result.
    /// </summary>
    private async Task<(IMessageSinkMessage Result, string[] Files)> RunScenarioAsync(string name, Func<VoiceHarness, Task> body)
    {
        var test = Scenario(name);
        var reported = new Reported();
        var sink = new ResultSink(reported);
        sink.OnMessage(new TestStarting(test));
        var traces = TestTraces.Current!;

        Exception? failure = null;
        try
        {
            await using var voice = await VoiceHarness.StartAsync(browser.Browser);
            await body(voice);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        sink.OnMessage(failure is null ? new TestPassed(test, 1, "") : new TestFailed(test, 1, "", failure));

        return (reported.Last!, Directory.Exists(TestTraces.Folder) ? Directory.GetFiles(TestTraces.Folder, traces.Name + ".*") : []);
    }

    private static XunitTest Scenario(string name)
    {
        var testClass = new TestClass(
            new TestCollection(new TestAssembly(new ReflectionAssemblyInfo(typeof(FailureTraceTests).Assembly)), null, "scenarios"),
            new ReflectionTypeInfo(typeof(FailureTraceTests)));
        var method = new TestMethod(testClass, new ReflectionMethodInfo(typeof(FailureTraceTests).GetMethod(nameof(A_failing_browser_test_keeps_its_traces_and_a_passing_one_leaves_none))!));
        var testCase = new XunitTestCase(new NullMessageSink(), TestMethodDisplay.ClassAndMethod, TestMethodDisplayOptions.None, method);
        return new XunitTest(testCase, $"{typeof(FailureTraceTests).FullName}.{name}");
    }

    private sealed class Reported : LongLivedMarshalByRefObject, IMessageSink
    {
        public IMessageSinkMessage? Last { get; private set; }

        public bool OnMessage(IMessageSinkMessage message)
        {
            Last = message;
            return true;
        }
    }
}
