namespace Spamp.Optim;

/// <summary>
/// Hugging Face's cosine schedule with linear warmup (<c>get_cosine_schedule_with_warmup</c>,
/// and with <c>minLrRatio</c> &gt; 0 the min-lr variant):
/// <code>
/// s &lt; W:  factor = warmup(s)                              (HF: s / max(1, W))
/// else:   p = (s - W) / max(1, T - W)                      clamped to 1 when HoldAtEnd (default)
///         f = max(0, 0.5 * (1 + cos(pi * 2 * numCycles * p)))
///         factor = f * (1 - minLrRatio) + minLrRatio
/// </code>
/// Without <c>HoldAtEnd</c>, the factor rises again after T, as in Hugging Face's code.
/// </summary>
public sealed class CosineWithWarmup : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public CosineWithWarmup(long warmupSteps, long totalSteps, double numCycles = 0.5, double minLrRatio = 0, bool holdAtEnd = true,
        WarmupStyle warmupStyle = WarmupStyle.HuggingFace)
    {
        Warmup.Validate("CosineWithWarmup", warmupSteps, totalSteps);
        if (!(minLrRatio >= 0 && minLrRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(minLrRatio), minLrRatio, $"CosineWithWarmup: min lr ratio must be in [0, 1], got {minLrRatio}");
        }

        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        NumCycles = numCycles;
        MinLrRatio = minLrRatio;
        HoldAtEnd = holdAtEnd;
        WarmupStyle = warmupStyle;
    }

    /// <summary>W.</summary>
    public long WarmupSteps { get; }

    /// <summary>T.</summary>
    public long TotalSteps { get; }

    /// <summary>Number of cosine cycles over [W, T] (0.5: one half-wave from 1 to 0).</summary>
    public double NumCycles { get; }

    /// <summary>The floor m, as a fraction of the base lr.</summary>
    public double MinLrRatio { get; }

    /// <summary>Clamp the progress at 1 so the factor stays at its floor after T.</summary>
    public bool HoldAtEnd { get; }

    /// <summary>How the warmup counts.</summary>
    public WarmupStyle WarmupStyle { get; }

    /// <inheritdoc/>
    public override double Factor(long completedSteps)
    {
        if (completedSteps < WarmupSteps)
        {
            return Warmup.Factor(completedSteps, WarmupSteps, WarmupStyle);
        }

        double progress = (completedSteps - WarmupSteps) / (double)Math.Max(1, TotalSteps - WarmupSteps);
        if (HoldAtEnd)
        {
            progress = Math.Min(progress, 1.0);
        }

        double cosine = Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * 2.0 * NumCycles * progress)));
        return (cosine * (1 - MinLrRatio)) + MinLrRatio;
    }
}
