namespace Spamp.Examples.Reproduction;

/// <summary>The few descriptive statistics the reproduction report needs, written out so they can be checked by hand.</summary>
public static class Statistics
{
    /// <summary>The arithmetic mean; NaN for no values.</summary>
    public static double Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        return sum / values.Count;
    }

    /// <summary>
    /// The sample standard deviation (divisor n - 1, as numpy's <c>std(ddof=1)</c>): the spread of a result
    /// over seeds, where the seeds are a sample. 0 for one value, NaN for none.
    /// </summary>
    public static double SampleStd(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
        {
            return values.Count == 1 ? 0 : double.NaN;
        }

        double mean = Mean(values), sum = 0;
        foreach (double v in values)
        {
            sum += (v - mean) * (v - mean);
        }

        return Math.Sqrt(sum / (values.Count - 1));
    }

    /// <summary>
    /// The population variance (divisor n): the spread of a whole, fixed set such as the layers of one
    /// model, where there is nothing to estimate beyond the set. NaN for no values.
    /// </summary>
    public static double PopulationVariance(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double mean = Mean(values), sum = 0;
        foreach (double v in values)
        {
            sum += (v - mean) * (v - mean);
        }

        return sum / values.Count;
    }

    /// <summary>Mean and sample standard deviation in one value.</summary>
    public static MeanStd Summarize(IReadOnlyList<double> values) => new(Mean(values), SampleStd(values), values.Count);

    /// <summary>The largest value; NaN for no values (or when any value is NaN).</summary>
    public static double Max(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double max = double.NaN;
        for (int i = 0; i < values.Count; i++)
        {
            if (double.IsNaN(values[i]))
            {
                return double.NaN;
            }

            max = i == 0 ? values[i] : Math.Max(max, values[i]);
        }

        return max;
    }

    /// <summary>
    /// The <paramref name="q"/>-quantile of values sorted ascending, interpolating linearly between the two
    /// nearest ranks (numpy's default, "type 7"): position <c>q (n - 1)</c>.
    /// </summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (!(q >= 0 && q <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "quantile: q must be in [0, 1]");
        }

        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        double position = q * (sorted.Count - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(sorted.Count - 1, lower + 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}
