namespace Spamp.Optim;

/// <summary>
/// Hugging Face's linear schedule with warmup (<c>get_linear_schedule_with_warmup</c>):
/// <c>factor(s) = warmup(s)</c> for s &lt; W, then <c>max(0, (T - s) / max(1, T - W))</c>.
/// </summary>
public sealed class LinearDecayWithWarmup : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public LinearDecayWithWarmup(long warmupSteps, long totalSteps, WarmupStyle warmupStyle = WarmupStyle.HuggingFace)
    {
        Warmup.Validate("LinearDecayWithWarmup", warmupSteps, totalSteps);
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        WarmupStyle = warmupStyle;
    }

    /// <summary>W.</summary>
    public long WarmupSteps { get; }

    /// <summary>T.</summary>
    public long TotalSteps { get; }

    /// <summary>How the warmup counts.</summary>
    public WarmupStyle WarmupStyle { get; }

    /// <inheritdoc/>
    public override double Factor(long completedSteps) => completedSteps < WarmupSteps
        ? Warmup.Factor(completedSteps, WarmupSteps, WarmupStyle)
        : Math.Max(0.0, (TotalSteps - completedSteps) / (double)Math.Max(1, TotalSteps - WarmupSteps));
}
