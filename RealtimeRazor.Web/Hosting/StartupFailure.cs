using Microsoft.Extensions.Options;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// A bad configuration value should stop startup with one line naming the key, not a stack trace.
/// </summary>
public static class StartupFailure
{
    public static bool IsConfigurationError(Exception ex) => Unwrap(ex) is OptionsValidationException or InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" };

    public static string Describe(Exception ex) => Unwrap(ex) switch
    {
        OptionsValidationException validation => string.Join(" ", validation.Failures),
        var other => other.Message,
    };

    private static Exception Unwrap(Exception ex) => ex is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerExceptions[0]) : ex;
}
