namespace Spamp.Optim;

/// <summary>
/// The "Warmup + Clip" baseline of the SPAMP comparison (ALGORITHMS.md 3.3): a global
/// <see cref="ClipGradNorm"/> at 1.0 every step plus a learning-rate schedule with linear warmup and
/// cosine decay (Hugging Face's <c>get_cosine_schedule_with_warmup</c>, <see cref="CosineWithWarmup"/>;
/// the paper does not give the warmup length, 4-5% of the steps is recommended).
/// </summary>
public static class WarmupClip
{
    /// <summary>
    /// Appends a global norm clip at <paramref name="maxNorm"/> to <paramref name="optimizer"/>'s chain
    /// and sets its schedule to <paramref name="warmupCosine"/>. Returns the clip (its
    /// <see cref="ClipGradNorm.LastTotalNorm"/> is the norm to log).
    /// </summary>
    public static ClipGradNorm Attach(Optimizer optimizer, LearningRateSchedule warmupCosine, double maxNorm = 1.0)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(warmupCosine);
        var clip = new ClipGradNorm(maxNorm);
        optimizer.AddTransform(clip);
        optimizer.Schedule = warmupCosine;
        return clip;
    }

    /// <summary>
    /// The preset as specified: a global clip at <paramref name="maxNorm"/> and a
    /// <see cref="CosineWithWarmup"/> over <paramref name="totalSteps"/> with
    /// <c>round(warmupFraction * totalSteps)</c> warmup steps (Hugging Face convention).
    /// </summary>
    public static ClipGradNorm Attach(Optimizer optimizer, long totalSteps, double warmupFraction = 0.04, double maxNorm = 1.0)
    {
        if (!(warmupFraction >= 0 && warmupFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(warmupFraction), warmupFraction, "warmup_clip: the warmup fraction must be in [0, 1)");
        }

        return Attach(optimizer, new CosineWithWarmup((long)Math.Round(warmupFraction * totalSteps), totalSteps), maxNorm);
    }
}
