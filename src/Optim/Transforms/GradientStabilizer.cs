namespace Spamp.Optim;

/// <summary>
/// GradientStabilizer, "Fix the Norm, Not the Gradient" (arXiv 2502.17055 v4; reference
/// TianjinYellow/GradientStabilizer, ALGORITHMS.md 7b): per tensor, <c>n = ||g||</c>; a non-finite
/// or zero <c>n</c> leaves g untouched and counts a skip (or throws with
/// <see cref="RaiseOnNonfinite"/>); otherwise <c>k += 1</c>, <c>mnorm = g1 mnorm + (1-g1) n</c>,
/// <c>vnorm = g2 vnorm + (1-g2) n^2</c>, bias-corrected to <c>mh</c>, <c>vh</c>, and
/// <c>g *= target/max(n, eps)</c> with <c>target = mh/(sqrt(vh) + eps)</c>: the output norm is the
/// target, 1 at the first step and bounded by <c>(1-g1)/sqrt(1-g2)</c> on an arbitrarily large spike.
/// State per tensor: mnorm, vnorm, k, skipped.
/// </summary>
public sealed class GradientStabilizer : IGradientTransform
{
    private readonly Dictionary<int, TensorState> _states = [];

    /// <inheritdoc/>
    public string Name => "gradient_stabilizer";

    /// <summary>EMA factor of the norm (default 0.6).</summary>
    public double Gamma1 { get; init; } = 0.6;

    /// <summary>EMA factor of the squared norm (default 0.999).</summary>
    public double Gamma2 { get; init; } = 0.999;

    /// <summary>Added to the denominator and the norm floor (default 1e-12).</summary>
    public double Eps { get; init; } = 1e-12;

    /// <summary>Bias-correct the EMAs (default true).</summary>
    public bool BiasCorrection { get; init; } = true;

    /// <summary>Throw on a non-finite norm instead of counting a skip (default false).</summary>
    public bool RaiseOnNonfinite { get; init; }

    /// <summary>Skipped updates (zero or non-finite norms) of the parameter with optimizer index <paramref name="parameterIndex"/>.</summary>
    public long SkippedOf(int parameterIndex) => _states.TryGetValue(parameterIndex, out TensorState? s) ? s.Skipped : 0;

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            int index = context.Parameters[i].Index;
            if (!_states.TryGetValue(index, out TensorState? s))
            {
                s = new TensorState();
                _states[index] = s;
            }

            double n = context.Norm(i);
            if (!double.IsFinite(n) || n <= 0)
            {
                if (RaiseOnNonfinite && !double.IsFinite(n))
                {
                    throw new NonFiniteGradientException($"gradient_stabilizer: the gradient of '{context.Parameters[i].Parameter.FullName}' has norm {n}");
                }

                s.Skipped++;
                continue;
            }

            s.K++;
            s.MNorm = (Gamma1 * s.MNorm) + ((1 - Gamma1) * n);
            s.VNorm = (Gamma2 * s.VNorm) + ((1 - Gamma2) * n * n);
            double mh = BiasCorrection ? s.MNorm / (1 - Math.Pow(Gamma1, s.K)) : s.MNorm;
            double vh = BiasCorrection ? s.VNorm / (1 - Math.Pow(Gamma2, s.K)) : s.VNorm;
            double target = mh / (Math.Sqrt(vh) + Eps);
            context.ScaleGradient(i, target / Math.Max(n, Eps));
            if (context.LayerReportOf(i) is { } line)
            {
                line.Tau = target;
                line.Clipped |= target < n;
            }
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (index, s) in _states)
        {
            state[$"{prefix}{index}.mnorm"] = s.MNorm;
            state[$"{prefix}{index}.vnorm"] = s.VNorm;
            state[$"{prefix}{index}.skipped"] = s.Skipped;
            state[$"{prefix}{index}.k"] = s.K;
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        _states.Clear();
        foreach (string key in state.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(".k", StringComparison.Ordinal)
                && int.TryParse(key[prefix.Length..^2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            {
                string p = key[..^1];
                _states[index] = new TensorState
                {
                    MNorm = state.GetDouble(p + "mnorm"),
                    VNorm = state.GetDouble(p + "vnorm"),
                    Skipped = state.GetLong(p + "skipped"),
                    K = state.GetLong(key),
                };
            }
        }
    }

    private sealed class TensorState
    {
        public double MNorm;
        public double VNorm;
        public long K;
        public long Skipped;
    }
}
