using System.Diagnostics.CodeAnalysis;

namespace RealtimeRazor.Web.Hosting;

/// <summary>
/// What a check hands its handler: the value it checked, or the <see cref="Refusal"/> that ends the
/// request. The one way a check refuses, so a handler reads as a list of checks and never needs to
/// assume a value is there:
/// <code>if (Check(...).Refused(out var refusal, out var value)) return refusal;</code>
/// </summary>
public readonly struct Refusable<T>
{
    private readonly T _value;
    private readonly Refusal? _refusal;

    private Refusable(T value, Refusal? refusal)
    {
        _value = value;
        _refusal = refusal;
    }

    public static implicit operator Refusable<T>(T value) => new(value, null);

    public static implicit operator Refusable<T>(Refusal refusal) => new(default!, refusal);

    /// <summary>True with the refusal to answer with; false with the checked value.</summary>
    public bool Refused([NotNullWhen(true)] out Refusal? refusal, [MaybeNullWhen(true)] out T value)
    {
        refusal = _refusal;
        value = _value;
        return refusal is not null;
    }
}
