using System.Globalization;

namespace Spamp.Examples.Reproduction;

/// <summary>A mean with its sample standard deviation over <see cref="Count"/> values (seeds, usually).</summary>
/// <param name="Mean">The arithmetic mean (NaN when there are no values).</param>
/// <param name="Std">The sample standard deviation, divisor n - 1 (0 for a single value, NaN for none).</param>
/// <param name="Count">How many values went in.</param>
public readonly record struct MeanStd(double Mean, double Std, int Count)
{
    /// <summary>"mean ± std" with <paramref name="format"/> for both numbers (just the mean for a single value).</summary>
    public string ToString(string format) =>
        Count == 0 ? "n/a"
        : Count == 1 ? Mean.ToString(format, CultureInfo.InvariantCulture)
        : $"{Mean.ToString(format, CultureInfo.InvariantCulture)} ± {Std.ToString(format, CultureInfo.InvariantCulture)}";

    /// <inheritdoc/>
    public override string ToString() => ToString("G4");
}
