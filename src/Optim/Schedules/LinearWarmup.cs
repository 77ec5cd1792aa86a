namespace Spamp.Optim;

/// <summary>
/// Linear warmup to the base learning rate, then constant:
/// <c>factor(s) = s / max(1, W)</c> for s &lt; W (Hugging Face, default) or <c>(s + 1) / W</c>
/// (<see cref="WarmupStyle.PlusOne"/>), then 1.
/// </summary>
public sealed class LinearWarmup : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public LinearWarmup(long warmupSteps, WarmupStyle style = WarmupStyle.HuggingFace)
    {
        Warmup.Validate("LinearWarmup", warmupSteps);
        WarmupSteps = warmupSteps;
        Style = style;
    }

    /// <summary>W.</summary>
    public long WarmupSteps { get; }

    /// <summary>How the ramp counts.</summary>
    public WarmupStyle Style { get; }

    /// <inheritdoc/>
    public override double Factor(long completedSteps) => completedSteps < WarmupSteps ? Warmup.Factor(completedSteps, WarmupSteps, Style) : 1.0;
}
