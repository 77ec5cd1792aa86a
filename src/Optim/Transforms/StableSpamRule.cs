using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>What a Stable-SPAM momentum reset does (ALGORITHMS.md 7a).</summary>
public enum StableSpamResetSemantics
{
    /// <summary>The paper's intent: separate statistics and Adam counters; a reset zeroes m, v and the Adam counter before the moment update (default).</summary>
    Intended,
    /// <summary>The reference code bit for bit: one counter for everything, set to 1 at a reset, and the reset step still updates from the old moments (quirks R1-R3).</summary>
    ReferenceCode,
}

/// <summary>
/// Stable-SPAM (arXiv 2502.17055 v1-v3; reference TianjinYellow/StableSPAM, ALGORITHMS.md 7a) as a
/// full update rule: per tensor, decoupled weight decay first, then AdaClip (entries above the
/// bias-corrected EMA <c>That</c> of max|g| are rescaled by <c>That/gmax</c>, not clamped), AdaGN
/// (the gradient is rescaled to norm <c>c = mh/(sqrt(vh) + eps)</c> from EMAs of its norm and squared
/// norm), a momentum reset every <see cref="ResetInterval"/> steps, and Adam with PyTorch eps
/// placement. With <see cref="TotalT"/> set, <c>gamma1</c> and <c>beta1</c> are multiplied by a cosine
/// factor <c>sc</c> going from 1 to <see cref="EtaMin"/> (clamped at <c>K = TotalT + 1</c> by default,
/// where the reference would rise again). The per-tensor statistics <c>m_max</c>, <c>m_norm</c>,
/// <c>v_norm</c> (and the statistics counter in Intended mode) are scalars of the shared
/// <see cref="ParameterState"/>; the moments are its <c>exp_avg</c>, <c>exp_avg_sq</c>
/// (<c>max_exp_avg_sq</c> with AMSGrad). Do not combine with external global clipping. Applies update
/// filters to <c>(lr/bc1) m/denom</c>.
/// </summary>
public sealed class StableSpamRule : IUpdateRule
{
    private const string MMax = "stable_spam.m_max", MNorm = "stable_spam.m_norm", VNorm = "stable_spam.v_norm", KStats = "stable_spam.k_stats";

    /// <inheritdoc/>
    public string Name => "stable_spam";

    /// <summary>beta1 (default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>beta2 (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>eps (default 1e-8).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>EMA factor of the norm (default 0.7; -1 means beta1).</summary>
    public double Gamma1 { get; init; } = 0.7;

    /// <summary>EMA factor of the squared norm (default 0.9).</summary>
    public double Gamma2 { get; init; } = 0.9;

    /// <summary>EMA factor of max|g|, the AdaClip threshold (default 0.999).</summary>
    public double Gamma3 { get; init; } = 0.999;

    /// <summary>Momentum-reset interval DeltaT (default 1000; 0 disables resets).</summary>
    public long ResetInterval { get; init; } = 1000;

    /// <summary>Length of the cosine factor on gamma1 and beta1 (null: none, the class default).</summary>
    public long? TotalT { get; init; }

    /// <summary>The cosine factor's end value (default 0.5).</summary>
    public double EtaMin { get; init; } = 0.5;

    /// <summary>Hold the cosine factor at its end after <c>TotalT + 1</c> steps (default true; the reference rises again).</summary>
    public bool ClampCosine { get; init; } = true;

    /// <summary>AMSGrad on the second moment (default false).</summary>
    public bool AmsGrad { get; init; }

    /// <summary>Intended or reference-code reset semantics (default Intended).</summary>
    public StableSpamResetSemantics Semantics { get; init; } = StableSpamResetSemantics.Intended;

    /// <summary>Steps performed (the reference's <c>total_steps</c>).</summary>
    public long TotalSteps { get; private set; }

    /// <inheritdoc/>
    public bool AppliesUpdateFilters => true;

    /// <summary>The cosine factor <c>sc</c> at step <paramref name="k"/> (1 without <see cref="TotalT"/>).</summary>
    public double CosineFactor(long k)
    {
        if (TotalT is not long total)
        {
            return 1.0;
        }

        double kk = ClampCosine ? Math.Min(k, total + 1) : k;
        return EtaMin + ((1 - EtaMin) * (1 + Math.Cos(Math.PI * kk / (total + 1))) / 2);
    }

    /// <inheritdoc/>
    public void Update(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        long k = TotalSteps + 1;
        double sc = CosineFactor(k);
        bool reset = ResetInterval != 0 && k % ResetInterval == 0;
        bool reference = Semantics == StableSpamResetSemantics.ReferenceCode;
        double gamma1 = Gamma1 < 0 ? Beta1 : Gamma1;
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            Tensor p = state.Parameter.Data, g = context.Gradient(i);
            OptimizerKernels kernels = context.Kernels(i);
            double lr = context.LearningRate(state.Group);
            double wd = state.Group.WeightDecay;
            if (wd != 0)
            {
                kernels.Scale(p.Storage, p.Numel, 1 - (lr * wd));
            }

            Tensor m = state.Buffer("exp_avg"), v = state.Buffer("exp_avg_sq");
            Tensor? vmax = AmsGrad ? state.Buffer("max_exp_avg_sq") : null;

            // The statistics counter: its own scalar (Intended) or the one shared step (ReferenceCode, R1).
            long kS;
            if (reference)
            {
                kS = ++state.Step;
            }
            else
            {
                kS = (long)state.Scalar(KStats) + 1;
                state.Scalars[KStats] = kS;
            }

            // AdaClip: rescale entries above the adaptive threshold by That/gmax.
            double gmax = kernels.MaxAbs(g.Storage, g.Numel);
            double mMax = (Gamma3 * state.Scalar(MMax)) + ((1 - Gamma3) * gmax);
            state.Scalars[MMax] = mMax;
            double that = mMax / (1 - Math.Pow(Gamma3, kS));
            if (gmax > that && gmax > 0)
            {
                kernels.AdaClip(g.Storage, g.Numel, that, that / gmax);
                context.MarkModified(i);
            }

            // AdaGN: the gradient gets the norm mh/(sqrt(vh) + eps).
            double n = context.Norm(i);
            double b = gamma1 * sc;
            double mNorm = (b * state.Scalar(MNorm)) + ((1 - b) * n);
            double vNorm = (Gamma2 * state.Scalar(VNorm)) + ((1 - Gamma2) * n * n);
            state.Scalars[MNorm] = mNorm;
            state.Scalars[VNorm] = vNorm;
            double mh = mNorm / (1 - Math.Pow(b, kS)), vh = vNorm / (1 - Math.Pow(Gamma2, kS));
            double c = mh / (Math.Sqrt(vh) + Eps);
            if (n > 0)
            {
                context.ScaleGradient(i, c / n);
                g = context.Gradient(i); // applies the (deferred) scale to the memory this rule reads next
            }

            long kA;
            if (reference)
            {
                // R2: the counter restarts at 1, but this step still updates the old moments; they are zeroed afterwards.
                if (reset)
                {
                    state.Step = 1;
                }

                kA = state.Step;
            }
            else
            {
                if (reset)
                {
                    m.FillInPlace(0.0);
                    v.FillInPlace(0.0);
                    state.Step = 0;
                }

                kA = ++state.Step;
            }

            double beta1 = Beta1 * sc;
            double bc1 = 1 - Math.Pow(beta1, kA), bc2 = 1 - Math.Pow(Beta2, kA);
            double stepSize = lr / bc1, denomScale = 1 / Math.Sqrt(bc2);
            double u2 = kernels.SpamMoments(g.Storage, m.Storage, v.Storage, vmax?.Storage, g.Numel, beta1, Beta2, stepSize, denomScale, Eps);
            if (context.HasUpdateFilters)
            {
                stepSize *= context.UpdateFactor(i, Math.Sqrt(u2));
            }

            kernels.SpamApplyUpdate(p.Storage, m.Storage, (vmax ?? v).Storage, p.Numel, stepSize, denomScale, Eps);
            if (reference && reset)
            {
                m.FillInPlace(0.0);
                v.FillInPlace(0.0);
            }
        }

        TotalSteps = k;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        state[prefix + "total_steps"] = TotalSteps;
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        TotalSteps = state.GetLong(prefix + "total_steps");
    }
}
