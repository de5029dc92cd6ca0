using System.Diagnostics;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Access;

namespace RealtimeRazor.Tests.Access;

/// <summary><c>dotnet RealtimeRazor.Web.dll hash-passcode</c>, run as an operator runs it, with the passcode piped in.</summary>
public sealed class HashPasscodeCommandTests
{
    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string input)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(BuildOutput.WebDll);
        start.ArgumentList.Add("hash-passcode");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("1234567")]
    public async Task A_passcode_under_8_characters_is_refused_saying_so(string passcode)
    {
        var (exitCode, output, errors) = await RunAsync(passcode);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("at least 8 characters", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("pbkdf2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_enough_passcode_gets_a_hash_that_verifies_and_is_not_written_back()
    {
        const string passcode = "eight+ characters";

        var (exitCode, output, errors) = await RunAsync(passcode);

        Assert.Equal(0, exitCode);
        var hash = output.Trim();
        Assert.True(PasscodeHasher.Verify(passcode, hash), $"not a hash of the passcode: {hash}");
        Assert.DoesNotContain(passcode, output + errors, StringComparison.Ordinal);
    }
}
