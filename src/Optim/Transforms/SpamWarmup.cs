namespace Spamp.Optim;

/// <summary>
/// SPAM's warmup scale after a momentum reset (the reference's <c>CosineDecay</c> helper,
/// ALGORITHMS.md 6.3): <c>dr(s) = 0.99 (1 + cos(pi s/(N+1)))/2</c> for <c>s &lt; N</c>, else 0, and
/// <c>scale(s) = 1 - dr(s)</c>: 0.01 right after a reset, 1 from <c>s = N</c> on.
/// </summary>
public static class SpamWarmup
{
    /// <summary>The scale <paramref name="s"/> steps after a reset with warmup length <paramref name="warmupSteps"/>.</summary>
    public static double Scale(long s, long warmupSteps) =>
        s >= warmupSteps ? 1.0 : 1.0 - (0.99 * (1 + Math.Cos(Math.PI * s / (warmupSteps + 1))) / 2);
}
