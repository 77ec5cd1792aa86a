namespace Spamp.Optim;

/// <summary>
/// SPAM's periodic momentum reset and post-reset warmup as a chain transform in front of an
/// Adam-family rule (ALGORITHMS.md 6.4): at steps <c>k</c> with <c>k mod DeltaT == 0</c> the rule's
/// moment buffers (<c>exp_avg</c>, <c>exp_avg_sq</c> in the shared <see cref="ParameterState"/>) are
/// zeroed, the per-parameter step is NOT reset, and the step's learning rate is multiplied by the
/// warmup scale <see cref="SpamWarmup.Scale"/> of the steps since the last reset (through
/// <see cref="StepContext.LearningRateScale"/>; the reference scales the Adam update only, so a
/// decoupled weight decay is scaled too here, the one difference from <see cref="SpamRule"/>).
/// The reset happens in Apply, before the rule's moment update, as in the reference.
/// State: none beyond the step number (the warmup position is derived from it).
/// </summary>
public sealed class SpamMomentumReset : IGradientTransform
{
    /// <inheritdoc/>
    public string Name => "spam_momentum_reset";

    /// <summary>DeltaT (default 500; <see cref="long.MaxValue"/>: never).</summary>
    public long ResetInterval { get; init; } = 500;

    /// <summary>N, the warmup length after each reset (default 150).</summary>
    public long WarmupSteps { get; init; } = 150;

    /// <summary>The buffers zeroed at a reset.</summary>
    public IReadOnlyList<string> Buffers { get; init; } = ["exp_avg", "exp_avg_sq"];

    /// <summary>
    /// The warmup position at step <paramref name="k"/>: the reference starts at N+1 (no warmup) and
    /// sets it to 0 at the end of call <c>DeltaT - 1</c>, so step <c>k</c> is <c>k mod DeltaT</c> steps
    /// into a warmup once the first reset happened.
    /// </summary>
    public static long WarmupPosition(long k, long resetInterval, long warmupSteps) =>
        k < resetInterval ? warmupSteps + k : k % resetInterval;

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        long k = context.Step;
        if (k % ResetInterval == 0)
        {
            foreach (ParameterState p in context.Parameters)
            {
                foreach (string name in Buffers)
                {
                    if (p.TryGetBuffer(name, out Tensor b))
                    {
                        b.FillInPlace(0.0);
                    }
                }
            }
        }

        context.LearningRateScale *= SpamWarmup.Scale(WarmupPosition(k, ResetInterval, WarmupSteps), WarmupSteps);
    }
}
