using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RealtimeRazor.Web.Access;

/// <summary>
/// Passcodes are kept in configuration only as salted PBKDF2-SHA256 hashes:
/// <c>pbkdf2-sha256$iterations$salt$hash</c> (base64 parts).
/// </summary>
public static class PasscodeHasher
{
    private const string Scheme = "pbkdf2-sha256";
    private const int Iterations = 210_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string passcode)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passcode), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    public static bool IsWellFormed(string stored) => TryParse(stored, out _, out _, out _);

    /// <summary>The sign-in cookie's claim naming which passcode hash it was issued for.</summary>
    public const string StampClaim = "rr:passcode_stamp";

    /// <summary>
    /// Identifies a stored hash without revealing it: a cookie carries it, so that a changed or removed
    /// passcode ends the sign-ins made with the old one.
    /// </summary>
    public static string Stamp(string stored) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(stored)).AsSpan(0, 16));

    public static bool Verify(string passcode, string stored)
    {
        if (!TryParse(stored, out var iterations, out var salt, out var expected))
            return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passcode), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Shorter passcodes fall to the sign-in rate limit's guessing budget too soon.</summary>
    public const int MinimumLength = 8;

    /// <summary>
    /// <c>RealtimeRazor.Web hash-passcode</c>: reads a passcode from standard input (not echoed on a
    /// terminal, where someone may be looking over a shoulder or recording), prints its hash.
    /// </summary>
    public static bool TryRunCommand(string[] args)
    {
        if (args is not ["hash-passcode"])
            return false;
        Console.Error.Write("Passcode: ");
        var passcode = Console.IsInputRedirected ? Console.ReadLine() : ReadWithoutEcho();
        if (string.IsNullOrEmpty(passcode))
        {
            Console.Error.WriteLine("No passcode given.");
            Environment.ExitCode = 1;
            return true;
        }
        if (passcode.Length < MinimumLength)
        {
            Console.Error.WriteLine($"A passcode must be at least {MinimumLength} characters long; no hash was made.");
            Environment.ExitCode = 1;
            return true;
        }
        Console.WriteLine(Hash(passcode));
        return true;
    }

    private static string ReadWithoutEcho()
    {
        var passcode = new StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                if (passcode.Length > 0)
                    passcode.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                passcode.Append(key.KeyChar);
            }
        }
        Console.Error.WriteLine();
        return passcode.ToString();
    }

    private static bool TryParse(string stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = stored.Split('$');
        if (parts is not [Scheme, var count, var saltText, var hashText]
            || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 10_000)
            return false;
        try
        {
            salt = Convert.FromBase64String(saltText);
            hash = Convert.FromBase64String(hashText);
            return salt.Length >= 8 && hash.Length >= 16;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
