namespace Spamp.Optim;

/// <summary>
/// PyTorch's <c>LinearLR</c> in closed form: <c>factor(s) = sf + (ef - sf) * min(s, T) / T</c>
/// (PyTorch computes it recursively as a ratio of consecutive factors; the values are the same).
/// Defaults as PyTorch: start 1/3, end 1, T = 5.
/// </summary>
public sealed class LinearLR : LearningRateSchedule
{
    /// <summary>Creates the schedule; PyTorch's checks: 0 &lt; start &lt;= 1, 0 &lt;= end &lt;= 1, T &gt;= 1.</summary>
    public LinearLR(double startFactor = 1.0 / 3, double endFactor = 1.0, long totalIters = 5)
    {
        if (!(startFactor > 0 && startFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, $"LinearLR: starting multiplicative factor expected to be greater than 0 and less or equal to 1, got {startFactor}");
        }

        if (!(endFactor >= 0 && endFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, $"LinearLR: ending multiplicative factor expected to be between 0 and 1, got {endFactor}");
        }

        if (totalIters < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, $"LinearLR: total iterations must be >= 1, got {totalIters}");
        }

        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
    }

    /// <summary>sf.</summary>
    public double StartFactor { get; }

    /// <summary>ef.</summary>
    public double EndFactor { get; }

    /// <summary>T.</summary>
    public long TotalIters { get; }

    /// <inheritdoc/>
    public override double Factor(long completedSteps) =>
        StartFactor + ((EndFactor - StartFactor) * Math.Min(completedSteps, TotalIters) / TotalIters);
}
