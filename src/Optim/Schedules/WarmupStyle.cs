namespace Spamp.Optim;

/// <summary>How linear warmup counts (ALGORITHMS.md 3.1).</summary>
public enum WarmupStyle
{
    /// <summary>Hugging Face: <c>factor(s) = s / max(1, W)</c> for s &lt; W; the first step trains with lr 0.</summary>
    HuggingFace,
    /// <summary>Shifted (nanoGPT): <c>factor(s) = (s + 1) / W</c> for s &lt; W; no zero step.</summary>
    PlusOne,
}

/// <summary>The warmup ramp shared by the schedules that start with one.</summary>
internal static class Warmup
{
    /// <summary>The warmup factor at <paramref name="s"/> &lt; <paramref name="warmupSteps"/>.</summary>
    public static double Factor(long s, long warmupSteps, WarmupStyle style) => style == WarmupStyle.PlusOne
        ? (s + 1) / (double)warmupSteps
        : s / (double)Math.Max(1, warmupSteps);

    /// <summary>Throws unless 0 &lt;= warmup (&lt;= total when given).</summary>
    public static void Validate(string schedule, long warmupSteps, long? totalSteps = null)
    {
        if (warmupSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"{schedule}: warmup steps must be >= 0, got {warmupSteps}");
        }

        if (totalSteps is long total && (total < 0 || total < warmupSteps))
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), total, $"{schedule}: total steps must be >= warmup steps ({warmupSteps}), got {total}");
        }
    }
}
