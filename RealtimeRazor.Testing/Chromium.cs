using Microsoft.Playwright;

namespace RealtimeRazor.Testing;

/// <summary>Launches Chromium with the flags WebRTC needs headless, with no network and no devices: for tests and benchmark alike.</summary>
public static class Chromium
{
    public static string E2eDirectory => Path.Combine(Repository.Root, "e2e");

    /// <summary>The microphone every page of a launch hears (Chromium reads one file per launch, and loops it).</summary>
    public static string SpeechFixture => Path.Combine(E2eDirectory, "speech.wav");

    public enum Microphone
    {
        /// <summary>Permission granted, the speech fixture as the device.</summary>
        Speech,
        /// <summary>No automatic grant: headless Chromium refuses the permission request.</summary>
        PermissionDenied,
        /// <summary>Permission granted but no fake device: a machine without audio hardware has no microphone.</summary>
        None,
    }

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright, Microphone microphone = Microphone.Speech)
    {
        var args = new List<string>
        {
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--autoplay-policy=no-user-gesture-required",
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        };
        if (microphone != Microphone.None)
            args.AddRange(["--use-fake-device-for-media-stream", $"--use-file-for-fake-audio-capture={SpeechFixture}"]);
        if (microphone != Microphone.PermissionDenied)
            args.Add("--use-fake-ui-for-media-stream");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            Headless = true,
            ExecutablePath = ExecutablePath(),
            Args = args,
        });
    }

    /// <summary>
    /// CHROMIUM_PATH, else Debian's chromium package, else (null) Playwright's own Chromium, which
    /// scripts/test.sh installs where there is no Debian package: Ubuntu's chromium is a snap stub, and
    /// a chromium elsewhere on the PATH (GitHub's runners have one) is not the version Playwright drives.
    /// </summary>
    private static string? ExecutablePath()
    {
        var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (!string.IsNullOrEmpty(configured))
            return configured;
        const string debianChromium = "/usr/lib/chromium/chromium";
        return File.Exists(debianChromium) ? debianChromium : null;
    }
}
