namespace Spamp.Examples.Reproduction;

/// <summary>
/// How unevenly a gradient is spread over the layers at one step (the paper's Table 2): the mean and the
/// population variance of the per-layer norms ||g_l||. A model whose layers receive gradients of very
/// different sizes has a high variance; SPAMP's per-layer thresholds are meant to lower it.
/// </summary>
/// <param name="Mean">Mean of the per-layer norms.</param>
/// <param name="Variance">Population variance of the per-layer norms (divisor: the number of layers).</param>
public readonly record struct InterLayerStatistics(double Mean, double Variance)
{
    /// <summary>The statistics of one step's per-layer norms (non-finite norms are left out).</summary>
    public static InterLayerStatistics Of(IReadOnlyList<double> layerNorms)
    {
        ArgumentNullException.ThrowIfNull(layerNorms);
        double[] finite = [.. layerNorms.Where(double.IsFinite)];
        return new InterLayerStatistics(Statistics.Mean(finite), Statistics.PopulationVariance(finite));
    }

    /// <summary>
    /// The average over several steps (say, the snapshots in a window around 50% of training) of each
    /// step's statistics, so one noisy step does not decide a table cell.
    /// </summary>
    public static InterLayerStatistics Average(IEnumerable<IReadOnlyList<double>> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        InterLayerStatistics[] each = [.. steps.Select(Of)];
        return new InterLayerStatistics(
            Statistics.Mean([.. each.Select(s => s.Mean)]),
            Statistics.Mean([.. each.Select(s => s.Variance)]));
    }
}
