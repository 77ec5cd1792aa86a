using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// SPAM, Spike-Aware Adam with Momentum Reset (arXiv 2501.06842), as a full update rule with the
/// reference code's semantics (TianjinYellow/SPAM-Optimizer, ALGORITHMS.md 6.4). Call <c>k</c> (the
/// rule's own count of steps, <see cref="TotalSteps"/> + 1):
/// <list type="number">
/// <item><c>sc</c> = the warmup scale (<see cref="SpamWarmup"/>) of the steps since the last reset;</item>
/// <item>at <c>k mod DeltaT == 0</c> the moments <c>exp_avg</c>, <c>exp_avg_sq</c> are zeroed (the per-parameter step is not);</item>
/// <item>spike clipping against the PREVIOUS <c>v</c> when active (<see cref="SpamSpikeClip.Active"/>), in place on the gradient;</item>
/// <item><c>m</c>, <c>v</c> updated; <c>p -= sc * lr sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v) + eps)</c>
/// (Hugging Face eps placement: eps is not bias-corrected);</item>
/// <item>weight decay AFTER the update and not scaled by <c>sc</c>: <c>p -= lr wd p</c>.</item>
/// </list>
/// The moments live in the shared <see cref="ParameterState"/> under Adam's names, so
/// <see cref="SpamSpikeClip"/>-style readers and saving work as for Adam. Applies update filters
/// (SPAMP's update clipping) to <c>sc * stepSize * m/denom</c>. Sparse momentum (density &lt; 1) is
/// not implemented. <c>DeltaT = 0</c> is invalid in the reference; use <see cref="long.MaxValue"/>
/// for no resets.
/// </summary>
public sealed class SpamRule : IUpdateRule
{
    /// <inheritdoc/>
    public string Name => "spam";

    /// <summary>beta1 (default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>beta2 (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>eps (default 1e-6, not Adam's 1e-8).</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary>Spike threshold theta (default 5000; 0 disables clipping).</summary>
    public double Threshold { get; init; } = 5000;

    /// <summary>Momentum-reset interval DeltaT (default 500).</summary>
    public long ResetInterval
    {
        get;
        init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "spam: the reset interval must be > 0 (long.MaxValue for no resets)");
    } = 500;

    /// <summary>Warmup length N after each reset (default 150).</summary>
    public long WarmupSteps { get; init; } = 150;

    /// <summary>Steps after each reset without spike clipping (the reference's <c>grad_accu_steps</c>, default 20).</summary>
    public long ClipOffWindow { get; init; } = 20;

    /// <summary>Bias-correct the step size (default true).</summary>
    public bool CorrectBias { get; init; } = true;

    /// <summary>Steps performed (the reference's <c>total_step</c>).</summary>
    public long TotalSteps { get; private set; }

    /// <summary>Entries spike-clipped at the last step.</summary>
    public long LastClipped { get; private set; }

    /// <inheritdoc/>
    public bool AppliesUpdateFilters => true;

    /// <inheritdoc/>
    public void Update(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        long k = TotalSteps + 1;
        double sc = SpamWarmup.Scale(SpamMomentumReset.WarmupPosition(k, ResetInterval, WarmupSteps), WarmupSteps);
        bool reset = k % ResetInterval == 0;
        bool clip = SpamSpikeClip.Active(k, Threshold, ResetInterval, ClipOffWindow);
        LastClipped = 0;
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            Tensor p = state.Parameter.Data, g = context.Gradient(i), m = state.Buffer("exp_avg"), v = state.Buffer("exp_avg_sq");
            OptimizerKernels kernels = context.Kernels(i);
            if (reset)
            {
                m.FillInPlace(0.0);
                v.FillInPlace(0.0);
            }

            state.Step++;
            if (clip)
            {
                int clipped = kernels.SpikeClip(g.Storage, v.Storage, g.Numel, Threshold);
                if (clipped > 0)
                {
                    context.MarkModified(i);
                    LastClipped += clipped;
                }
            }

            double lr = context.LearningRate(state.Group);
            double t = state.Step;
            double stepSize = CorrectBias ? lr * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)) : lr;
            stepSize *= sc;
            double u2 = kernels.SpamMoments(g.Storage, m.Storage, v.Storage, null, g.Numel, Beta1, Beta2, stepSize, 1.0, Eps);
            if (context.HasUpdateFilters)
            {
                stepSize *= context.UpdateFactor(i, Math.Sqrt(u2));
            }

            kernels.SpamApplyUpdate(p.Storage, m.Storage, v.Storage, p.Numel, stepSize, 1.0, Eps);
            double wd = state.Group.WeightDecay;
            if (wd != 0)
            {
                kernels.Scale(p.Storage, p.Numel, 1 - (lr * wd));
            }
        }

        TotalSteps = k;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        state[prefix + "total_step"] = TotalSteps;
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        TotalSteps = state.GetLong(prefix + "total_step");
    }
}
