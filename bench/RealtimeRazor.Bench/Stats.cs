using System.Globalization;

namespace RealtimeRazor.Bench;

/// <summary>Order statistics over one measurement's samples.</summary>
public sealed class Samples(IEnumerable<double> values)
{
    private readonly double[] _sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();

    public int Count => _sorted.Length;
    public double Min => Count == 0 ? double.NaN : _sorted[0];
    public double Max => Count == 0 ? double.NaN : _sorted[^1];
    public double Median => Percentile(50);

    /// <summary>Nearest-rank percentile; with few samples p99 is simply the largest but one or the largest.</summary>
    public double Percentile(double p)
    {
        if (Count == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * Count);
        return _sorted[Math.Clamp(rank - 1, 0, Count - 1)];
    }

    /// <summary>"median (min–max)" in whole milliseconds, the form every connect row uses.</summary>
    public string Describe(string format = "0") =>
        Count == 0 ? "n/a" : $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)})";
}

public static class Format
{
    public static string Number(double value, string format = "0") =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);
}
