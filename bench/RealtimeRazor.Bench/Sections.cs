using Microsoft.Playwright;

namespace RealtimeRazor.Bench;

internal static class PageWeightSection
{
    public static Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder) => Task.CompletedTask;
}

internal static class ClientCpuSection
{
    public static Task RunAsync(Report report, IBrowser browser, FakeOpenAI openAI, string publishFolder, BenchOptions options) => Task.CompletedTask;
}
