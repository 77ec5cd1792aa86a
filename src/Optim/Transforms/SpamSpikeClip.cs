namespace Spamp.Optim;

/// <summary>
/// SPAM's spike clipping as a chain transform in front of an Adam-family rule (ALGORITHMS.md 6.4
/// step 2.4): for each entry, if <c>g_i^2 &gt; theta v_i</c> then <c>g_i = sign(g_i) sqrt(theta v_i)</c>,
/// where <c>v</c> is the rule's second moment read from the shared <see cref="ParameterState"/>
/// buffer <see cref="SecondMomentBuffer"/> (<c>exp_avg_sq</c>) as it stands BEFORE this step's
/// moment update (the chain runs before the rule), never a private copy. A parameter whose rule has
/// no second moment yet (its first step) is not clipped.
/// <para>
/// Clipping is off while <c>k &lt; ClipOffWindow</c> or <c>(k mod ResetInterval) &lt; ClipOffWindow</c>
/// (k = the step number), because right after a momentum reset <c>v = 0</c> and every entry would be
/// clipped to 0. Pair with <see cref="SpamMomentumReset"/> using the same interval for the whole of
/// SPAM on top of AdamW; <see cref="SpamRule"/> is the exact reference optimizer.
/// </para>
/// </summary>
public sealed class SpamSpikeClip : IGradientTransform
{
    /// <inheritdoc/>
    public string Name => "spam_spike_clip";

    /// <summary><c>theta</c> (default 5000; 0 disables).</summary>
    public double Threshold { get; init; } = 5000;

    /// <summary>The momentum-reset interval DeltaT the window refers to (default 500; <see cref="long.MaxValue"/>: no resets).</summary>
    public long ResetInterval { get; init; } = 500;

    /// <summary>Steps after each reset (and at the start) without clipping (the reference's misnamed <c>grad_accu_steps</c>, default 20).</summary>
    public long ClipOffWindow { get; init; } = 20;

    /// <summary>The name of the second-moment buffer in <see cref="ParameterState"/> (default <c>exp_avg_sq</c>).</summary>
    public string SecondMomentBuffer { get; init; } = "exp_avg_sq";

    /// <summary>Entries clipped at the last step.</summary>
    public long LastClipped { get; private set; }

    /// <summary>Whether spike clipping is active at step <paramref name="k"/> (1-based).</summary>
    public static bool Active(long k, double threshold, long resetInterval, long clipOffWindow) =>
        threshold != 0 && k >= clipOffWindow && (k % resetInterval) >= clipOffWindow;

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        LastClipped = 0;
        if (!Active(context.Step, Threshold, ResetInterval, ClipOffWindow))
        {
            return;
        }

        for (int i = 0; i < context.Parameters.Count; i++)
        {
            if (!context.Parameters[i].TryGetBuffer(SecondMomentBuffer, out Tensor v))
            {
                continue;
            }

            Tensor g = context.Gradient(i);
            int clipped = context.Kernels(i).SpikeClip(g.Storage, v.Storage, g.Numel, Threshold);
            if (clipped > 0)
            {
                context.MarkModified(i);
                LastClipped += clipped;
                if (context.LayerReportOf(i) is { } line)
                {
                    line.Clipped = true;
                }
            }
        }
    }
}
