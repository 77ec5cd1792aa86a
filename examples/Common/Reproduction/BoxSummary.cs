namespace Spamp.Examples.Reproduction;

/// <summary>
/// The five numbers a box plot draws, Tukey's convention: quartiles by linear interpolation
/// (<see cref="Statistics.Quantile"/>), whiskers at the most extreme values within 1.5 IQR of the box,
/// everything beyond them an outlier.
/// </summary>
/// <param name="Q1">First quartile.</param>
/// <param name="Median">Median.</param>
/// <param name="Q3">Third quartile.</param>
/// <param name="WhiskerLow">Smallest value at or above <c>Q1 - 1.5 IQR</c>.</param>
/// <param name="WhiskerHigh">Largest value at or below <c>Q3 + 1.5 IQR</c>.</param>
/// <param name="Outliers">The values outside the whiskers, ascending.</param>
public sealed record BoxSummary(double Q1, double Median, double Q3, double WhiskerLow, double WhiskerHigh, IReadOnlyList<double> Outliers)
{
    /// <summary>The summary of the finite values of <paramref name="values"/>; null when there are none.</summary>
    public static BoxSummary? Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] v = [.. values.Where(double.IsFinite).Order()];
        if (v.Length == 0)
        {
            return null;
        }

        double q1 = Statistics.Quantile(v, 0.25), median = Statistics.Quantile(v, 0.5), q3 = Statistics.Quantile(v, 0.75);
        double iqr = q3 - q1;
        double low = v.First(x => x >= q1 - (1.5 * iqr)), high = v.Last(x => x <= q3 + (1.5 * iqr));
        return new BoxSummary(q1, median, q3, low, high, [.. v.Where(x => x < low || x > high)]);
    }
}
