using Spamp.Optim;

namespace Spamp.Examples;

/// <summary>
/// Builds the optimizer of one method of the SPAMP comparison by name. This is the one place that says
/// what each name means; every example and experiment goes through it, so "clip" means the same thing
/// everywhere.
/// </summary>
/// <remarks>
/// The paper's setup (ALGORITHMS.md section 1): an Adam-family base (here AdamW, betas 0.9/0.999, eps 1e-8,
/// decoupled weight decay) with cosine decay of the learning rate to zero over the run. Each method adds
/// one gradient transform in front of AdamW, or replaces the rule where the method is a whole optimizer:
/// <list type="table">
/// <item><term>spamp</term><description>AdamW + <see cref="SpampShaping"/> with its defaults (per-layer EMA
/// threshold beta 0.99, bias-corrected tau, power shaping with alpha in [0.7, 1], norm restored).</description></item>
/// <item><term>clip</term><description>AdamW + global <see cref="ClipGradNorm"/> at tau = 1.0 (fixed clipping).</description></item>
/// <item><term>warmup-clip</term><description>AdamW + <see cref="WarmupClip"/>: the clip at 1.0 and linear warmup over
/// 5% of the steps before the cosine decay (ALGORITHMS.md 3.3).</description></item>
/// <item><term>gradnorm</term><description>AdamW + <see cref="GradNormScaling"/>: lr scaled by 1/||g|| (rho 1), capped at
/// 10x as ALGORITHMS.md 4.1 recommends for Adam.</description></item>
/// <item><term>zclip</term><description>AdamW + <see cref="ZClip"/> with its published defaults (z 2.5, alpha 0.97, hard cap 1.0).</description></item>
/// <item><term>spam</term><description>The SPAM optimizer (<see cref="SpamRule"/>) with the paper's defaults: moment reset every
/// 500 steps, 150 warmup steps after a reset, spike threshold 5000.</description></item>
/// <item><term>stable-spam</term><description>The Stable-SPAM optimizer (<see cref="StableSpamRule"/>) with its defaults.</description></item>
/// <item><term>adagc</term><description>AdamW + <see cref="AdaGC"/> (per-tensor clipping by an EMA of clipped norms).</description></item>
/// <item><term>stabilizer</term><description>AdamW + <see cref="GradientStabilizer"/> (per-tensor normalisation and spike masking).</description></item>
/// <item><term>shrink</term><description>AdamW + <see cref="EntryShrink"/> (entry-wise smooth shrinkage, GaussGate).</description></item>
/// <item><term>none</term><description>AdamW alone: no clipping, no warmup (the paper's baseline).</description></item>
/// </list>
/// </remarks>
public static class MethodFactory
{
    /// <summary>Every valid method name, in the paper's table order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["spamp", "clip", "warmup-clip", "gradnorm", "zclip", "spam", "stable-spam", "adagc", "stabilizer", "shrink", "none"];

    /// <summary>The warmup length of <c>warmup-clip</c> as a fraction of the run (ALGORITHMS.md 3.3 recommends 4-5%).</summary>
    public const double WarmupFraction = 0.05;

    /// <summary>The fixed clipping threshold tau of <c>clip</c> and <c>warmup-clip</c>.</summary>
    public const double ClipTau = 1.0;

    /// <summary>
    /// The optimizer for <paramref name="method"/> over <paramref name="parameters"/>, with the learning-rate
    /// schedule set for a run of <paramref name="totalSteps"/> optimizer steps.
    /// </summary>
    /// <param name="method">One of <see cref="Names"/> (case-insensitive).</param>
    /// <param name="parameters">The parameters to train.</param>
    /// <param name="lr">The base (peak) learning rate.</param>
    /// <param name="weightDecay">Decoupled weight decay.</param>
    /// <param name="totalSteps">Steps in the whole run: the cosine decay reaches zero there.</param>
    /// <exception cref="ArgumentException">Unknown method; the message lists the valid names.</exception>
    public static Optimizer Create(string method, IEnumerable<Parameter> parameters, double lr, double weightDecay, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        Parameter[] p = [.. parameters];
        string name = method.Trim().ToLowerInvariant();

        Optimizer AdamW(IGradientTransform? shaping = null) => new Optim.AdamW(p, lr, weightDecay: weightDecay, shaping: shaping);

        Optimizer optimizer = name switch
        {
            "spamp" => AdamW(new SpampShaping()),
            "clip" => AdamW(new ClipGradNorm(ClipTau)),
            "warmup-clip" => AdamW(),
            "gradnorm" => AdamW(new GradNormScaling(muMax: 10)),
            "zclip" => AdamW(new ZClip()),
            "spam" => new Optimizer(p, lr, weightDecay, new SpamRule()),
            "stable-spam" => new Optimizer(p, lr, weightDecay, new StableSpamRule()),
            "adagc" => AdamW(new AdaGC()),
            "stabilizer" => AdamW(new GradientStabilizer()),
            "shrink" => AdamW(new EntryShrink()),
            "none" => AdamW(),
            _ => throw new ArgumentException($"unknown method '{method}'; valid methods: {string.Join(", ", Names)}", nameof(method)),
        };

        if (name == "warmup-clip")
        {
            // Attach adds the clip and sets the warmup + cosine schedule in one call.
            WarmupClip.Attach(optimizer, totalSteps, WarmupFraction, ClipTau);
        }
        else
        {
            optimizer.Schedule = new CosineAnnealing(totalSteps);
        }

        return optimizer;
    }

    /// <summary>
    /// Splits a comma-separated list of method names (<c>compare</c> stands for <c>spamp,clip</c>), checking each.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the valid ones.</exception>
    public static IReadOnlyList<string> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<string>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string name = part.ToLowerInvariant();
            if (name == "compare")
            {
                result.AddRange(["spamp", "clip"]);
            }
            else if (Names.Contains(name))
            {
                result.Add(name);
            }
            else
            {
                throw new ArgumentException($"unknown method '{part}'; valid methods: {string.Join(", ", Names)}, or compare (= spamp,clip)", nameof(text));
            }
        }

        return result.Count > 0 ? result : throw new ArgumentException("no method given", nameof(text));
    }
}
