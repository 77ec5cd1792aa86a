namespace Spamp.Examples.Reproduction;

/// <summary>
/// The spread of a per-step series over one stretch of training (the paper's Table 3 reports the update
/// magnitude lr*||g|| this way: its standard deviation and maximum early, mid and late in training).
/// </summary>
/// <param name="FirstStep">First step of the interval (1-based, inclusive).</param>
/// <param name="LastStep">Last step of the interval (inclusive).</param>
/// <param name="Mean">Mean of the finite values.</param>
/// <param name="Std">Population standard deviation of the finite values (the interval is all there is).</param>
/// <param name="Max">Largest finite value.</param>
public readonly record struct IntervalSummary(long FirstStep, long LastStep, double Mean, double Std, double Max)
{
    /// <summary>
    /// Cuts <paramref name="series"/> (value i belongs to step i + 1) into <paramref name="count"/> consecutive
    /// intervals as equal as possible (the first ones take the remainder) and summarises each. Non-finite
    /// values (a diverged step) are left out of the statistics.
    /// </summary>
    public static IntervalSummary[] Split(IReadOnlyList<double> series, int count)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (series.Count < count)
        {
            throw new ArgumentException($"intervals: {series.Count} values cannot make {count} non-empty intervals", nameof(series));
        }

        var result = new IntervalSummary[count];
        int start = 0;
        for (int k = 0; k < count; k++)
        {
            int length = (series.Count / count) + (k < series.Count % count ? 1 : 0);
            double[] finite = [.. Enumerable.Range(start, length).Select(i => series[i]).Where(double.IsFinite)];
            result[k] = new IntervalSummary(start + 1, start + length, Statistics.Mean(finite),
                Math.Sqrt(Statistics.PopulationVariance(finite)), Statistics.Max(finite));
            start += length;
        }

        return result;
    }
}
