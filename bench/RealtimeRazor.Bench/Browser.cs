using Microsoft.Playwright;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Bench;

/// <summary>Headless system Chromium with the flags WebRTC needs on a machine with only loopback and no devices.</summary>
public static class Browser
{
    private static readonly string[] DebianChromium = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    public static string E2eDirectory => Path.Combine(Repository.Root, "e2e");

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            Headless = true,
            ExecutablePath = ExecutablePath(),
            Args =
            [
                "--allow-loopback-in-peer-connection",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--autoplay-policy=no-user-gesture-required",
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                // Loops: audio keeps flowing from the microphone for the CPU measurement.
                $"--use-file-for-fake-audio-capture={Path.Combine(E2eDirectory, "speech.wav")}",
            ],
        });

    /// <summary>CHROMIUM_PATH, else Debian's Chromium, else Playwright's own browser where one is installed.</summary>
    private static string? ExecutablePath()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (!string.IsNullOrEmpty(configured))
            return configured;
        return DebianChromium.FirstOrDefault(File.Exists);
    }
}
