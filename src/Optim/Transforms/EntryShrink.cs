using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>The per-tensor scale of <see cref="EntryShrink"/> (ALGORITHMS.md 9.4).</summary>
public enum ShrinkScale
{
    /// <summary><c>s = 1.4826 median|y|</c> over the finite non-zero entries (default).</summary>
    Mad,
    /// <summary><c>s = sqrt(mean(y^2))</c>: not robust, for ablations.</summary>
    Rms,
    /// <summary>The bias-corrected EMA of the MAD scale across steps (one scalar per tensor).</summary>
    EmaMad,
}

/// <summary>Where entry-wise shrinkage sits relative to Muon (ALGORITHMS.md 9.4; which one the paper used is unknown).</summary>
public enum MuonShrinkPlacement
{
    /// <summary>Shrink the raw gradient before the momentum buffer: put <see cref="EntryShrink"/> in the chain (default).</summary>
    RawGradient,
    /// <summary>Shrink the Nesterov-mixed matrix right before Newton-Schulz: the Muon rule calls <see cref="EntryShrink.ShrinkInPlace"/> itself.</summary>
    PreNewtonSchulz,
}

/// <summary>
/// Entry-wise smooth shrinkage of heavy-tailed gradient noise (arXiv 2605.27733, of which only the
/// abstract was available: the function, the scale and k below are ALGORITHMS.md 9.2-9.4's own
/// derivation, [UNVERIFIED-002], and all switchable). Per tensor: the scale
/// <c>s = 1.4826 median|y|</c> over finite non-zero entries (zeros excluded so that sparse gradients
/// keep a scale; fewer than <see cref="MinCount"/> of them, or <c>s</c> zero or non-finite: unchanged),
/// then every entry through <see cref="Function"/> with <c>z = y/s</c> and knee <see cref="K"/>.
/// <para>
/// Placement: before Adam, put it first in the chain on the raw (unscaled) gradient, replacing
/// global clipping; AdamW's decoupled decay is unaffected and Adam's coupled L2 term is added after.
/// Before Muon, GaussGate is the Adam default and HardClamp the Muon default ("clipping" in the
/// abstract); <see cref="MuonShrinkPlacement.RawGradient"/> is this transform in the chain,
/// <see cref="MuonShrinkPlacement.PreNewtonSchulz"/> is <see cref="ShrinkInPlace"/> called by the rule.
/// Non-finite entries are left to the optimizer's <see cref="NonFinitePolicy"/> (the median ignores them).
/// </para>
/// </summary>
public sealed class EntryShrink : IGradientTransform
{
    /// <summary>The consistency constant making the MAD the standard deviation of a Gaussian.</summary>
    public const double MadToSigma = 1.4826;

    private readonly Dictionary<int, (double Raw, long K)> _ema = [];

    /// <inheritdoc/>
    public string Name => "entry_shrink";

    /// <summary>The shrinkage function (default GaussGate, the Adam default; [UNVERIFIED-002]).</summary>
    public ShrinkFunction Function { get; init; } = ShrinkFunction.GaussGate;

    /// <summary>The knee in scale units (default 4, about 0.3-1% contamination by the table of 9.3; [UNVERIFIED-002]).</summary>
    public double K { get; init; } = 4.0;

    /// <summary>The scale estimator (default MAD; [UNVERIFIED-002]).</summary>
    public ShrinkScale Scale { get; init; } = ShrinkScale.Mad;

    /// <summary>EMA factor of <see cref="ShrinkScale.EmaMad"/> (default 0.99).</summary>
    public double EmaBeta { get; init; } = 0.99;

    /// <summary>Tensors with fewer non-zero entries are left alone (default 16).</summary>
    public int MinCount { get; init; } = 16;

    /// <summary>At most this many entries, at a deterministic stride, for the median (0: exact, the default).</summary>
    public int SampleCap { get; init; }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            Tensor g = context.Gradient(i);
            OptimizerKernels kernels = context.Kernels(i);
            double median = kernels.MedianAbsNonZero(g.Storage, g.Numel, SampleCap, out int nonZero);
            if (nonZero < MinCount)
            {
                continue;
            }

            double s;
            switch (Scale)
            {
                case ShrinkScale.Rms:
                    s = Math.Sqrt(context.SquaredNorm(i) / g.Numel);
                    break;
                case ShrinkScale.EmaMad:
                    int index = context.Parameters[i].Index;
                    var (raw, k) = _ema.TryGetValue(index, out var e) ? e : (0.0, 0L);
                    k++;
                    raw = (EmaBeta * raw) + ((1 - EmaBeta) * MadToSigma * median);
                    _ema[index] = (raw, k);
                    s = raw / (1 - Math.Pow(EmaBeta, k));
                    break;
                default:
                    s = MadToSigma * median;
                    break;
            }

            if (!(s > 0) || !double.IsFinite(s))
            {
                continue;
            }

            kernels.Shrink(g.Storage, g.Numel, Function, s, K);
            context.MarkModified(i);
            if (context.LayerReportOf(i) is { } line)
            {
                line.Tau = K * s;
                line.Clipped = true;
            }
        }
    }

    /// <summary>
    /// Shrinks <paramref name="values"/> in place with the MAD scale, as one step of this transform
    /// does for one tensor (for a rule that shrinks inside itself, such as Muon before Newton-Schulz).
    /// Returns false when the tensor was left unchanged.
    /// </summary>
    public static bool ShrinkInPlace(Tensor values, ShrinkFunction function = ShrinkFunction.HardClamp, double k = 4.0, int minCount = 16, int sampleCap = 0)
    {
        ArgumentNullException.ThrowIfNull(values);
        OptimizerKernels kernels = OptimizerKernels.For(values.Device);
        double median = kernels.MedianAbsNonZero(values.Storage, values.Numel, sampleCap, out int nonZero);
        double s = MadToSigma * median;
        if (nonZero < minCount || !(s > 0) || !double.IsFinite(s))
        {
            return false;
        }

        kernels.Shrink(values.Storage, values.Numel, function, s, k);
        return true;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (index, (raw, k)) in _ema)
        {
            state[$"{prefix}{index}.ema_raw"] = raw;
            state[$"{prefix}{index}.k"] = k;
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        _ema.Clear();
        foreach (string key in state.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(".k", StringComparison.Ordinal)
                && int.TryParse(key[prefix.Length..^2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            {
                _ema[index] = (state.GetDouble(key[..^1] + "ema_raw"), state.GetLong(key));
            }
        }
    }
}
