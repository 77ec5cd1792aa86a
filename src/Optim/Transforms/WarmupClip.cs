namespace Spamp.Optim;

/// <summary>
/// The "Warmup + Clip" baseline of the SPAMP comparison (ALGORITHMS.md 3.3): a global
/// <see cref="ClipGradNorm"/> at 1.0 every step plus a learning-rate schedule with linear warmup and
/// cosine decay (Hugging Face's <c>get_cosine_schedule_with_warmup</c>, warmup about 4-5% of the
/// steps). The schedule classes live with the base rules (src/Optim/Schedules), so this preset takes
/// the schedule as an argument rather than building one.
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
}
