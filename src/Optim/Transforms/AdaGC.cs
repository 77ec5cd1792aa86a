namespace Spamp.Optim;

/// <summary>
/// AdaGC, adaptive per-tensor clipping against an EMA of clipped norms (arXiv 2502.11034; the
/// official Megatron code's semantics, ALGORITHMS.md 8.1). <c>steps += 1</c>; during warmup
/// (<c>steps &lt;= T_start</c>) a global clip at <c>lambda_abs</c> and <c>gamma_i</c> = the running
/// MINIMUM of the clipped tensor norms; afterwards, per tensor, if <c>||g_i|| &gt; lambda_rel gamma_i</c>
/// the gradient is scaled by <c>lambda_rel gamma_i/(||g_i|| + eps)</c> and the nominal clipped norm
/// <c>lambda_rel gamma_i</c> enters <c>gamma_i = beta gamma_i + (1-beta) n_i</c> (every step). A tensor
/// first seen after warmup starts at its own norm.
/// <para>
/// Guard (<see cref="GammaFloor"/>, default 1e-12): a tensor whose gamma fell below the floor (for
/// example one whose gradient was exactly 0 during warmup) is not clipped that step and its gamma
/// restarts at its norm; the reference would clip it to 0 forever. <see cref="Global"/> runs the
/// same with one gamma over the global norm (<c>AdaGC-Global</c>; during warmup
/// <c>gamma = min(gamma, min(total, lambda_abs))</c>). Defaults are the official code's (1.04, 0.99,
/// 100, 1.0, 1e-6); the kozistr variant uses 1.05 and 0.98. State: gamma per tensor, the step count.
/// </para>
/// </summary>
public sealed class AdaGC : IGradientTransform
{
    private readonly Dictionary<int, double> _gamma = [];
    private double? _globalGamma;

    /// <inheritdoc/>
    public string Name => "adagc";

    /// <summary><c>lambda_rel</c>, the relative clip ratio (default 1.04).</summary>
    public double LambdaRel { get; init; } = 1.04;

    /// <summary><c>lambda_abs</c>, the global clip during warmup (default 1.0).</summary>
    public double LambdaAbs { get; init; } = 1.0;

    /// <summary>EMA factor of gamma (default 0.99).</summary>
    public double Beta { get; init; } = 0.99;

    /// <summary>Added to norms in divisions (default 1e-6).</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary><c>T_start</c>, warmup steps (default 100).</summary>
    public long StartClipSteps { get; init; } = 100;

    /// <summary>Below this a gamma restarts instead of clipping (default 1e-12).</summary>
    public double GammaFloor { get; init; } = 1e-12;

    /// <summary>One gamma over the global norm instead of one per tensor.</summary>
    public bool Global { get; init; }

    /// <summary>Steps seen so far.</summary>
    public long Steps { get; private set; }

    /// <summary>The global norm before clipping at the last step.</summary>
    public double LastTotalNorm { get; private set; }

    /// <summary>The gamma of the parameter with optimizer index <paramref name="parameterIndex"/> (NaN when it has none); under <see cref="Global"/> the shared gamma.</summary>
    public double GammaOf(int parameterIndex) => Global ? _globalGamma ?? double.NaN
        : _gamma.TryGetValue(parameterIndex, out double g) ? g : double.NaN;

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Steps++;
        double total = context.GlobalNorm();
        LastTotalNorm = total;
        if (Steps <= StartClipSteps)
        {
            double coef = LambdaAbs / (total + Eps);
            if (coef < 1)
            {
                for (int i = 0; i < context.Parameters.Count; i++)
                {
                    context.ScaleGradient(i, coef);
                }
            }

            if (Global)
            {
                double x = Math.Min(total, LambdaAbs);
                _globalGamma = _globalGamma is double g ? Math.Min(g, x) : x;
            }
            else
            {
                for (int i = 0; i < context.Parameters.Count; i++)
                {
                    int index = context.Parameters[i].Index;
                    double n = context.Norm(i);
                    _gamma[index] = _gamma.TryGetValue(index, out double g) ? Math.Min(g, n) : n;
                }
            }

            Report(context, -1, LambdaAbs, coef < 1);
            return;
        }

        if (Global)
        {
            double gamma = _globalGamma ?? total;
            bool clipped = Adapt(ref gamma, total, out double c);
            if (clipped)
            {
                for (int i = 0; i < context.Parameters.Count; i++)
                {
                    context.ScaleGradient(i, c);
                }
            }

            _globalGamma = gamma;
            Report(context, -1, LambdaRel * gamma, clipped);
            return;
        }

        for (int i = 0; i < context.Parameters.Count; i++)
        {
            int index = context.Parameters[i].Index;
            double n = context.Norm(i);
            double gamma = _gamma.TryGetValue(index, out double g) ? g : n;
            double threshold = LambdaRel * gamma;
            bool clipped = Adapt(ref gamma, n, out double c);
            if (clipped)
            {
                context.ScaleGradient(i, c);
            }

            _gamma[index] = gamma;
            Report(context, i, threshold, clipped);
        }
    }

    /// <summary>One adaptive update of <paramref name="gamma"/> with norm <paramref name="n"/>; true with the factor when it clips.</summary>
    private bool Adapt(ref double gamma, double n, out double factor)
    {
        factor = 1;
        if (!double.IsFinite(n))
        {
            return false;
        }

        if (gamma < GammaFloor)
        {
            gamma = n;
            return false;
        }

        bool clipped = false;
        if (n > LambdaRel * gamma)
        {
            factor = LambdaRel * gamma / (n + Eps);
            n = LambdaRel * gamma;
            clipped = true;
        }

        gamma = (Beta * gamma) + ((1 - Beta) * n);
        return clipped;
    }

    private static void Report(StepContext context, int i, double threshold, bool clipped)
    {
        if (context.Report is null)
        {
            return;
        }

        for (int j = i < 0 ? 0 : i; j < (i < 0 ? context.Parameters.Count : i + 1); j++)
        {
            if (context.LayerReportOf(j) is { } line)
            {
                line.Tau = threshold;
                line.Clipped |= clipped;
            }
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        state[prefix + "steps"] = Steps;
        if (_globalGamma is double g)
        {
            state[prefix + "global_gamma"] = g;
        }

        foreach (var (index, gamma) in _gamma)
        {
            state[$"{prefix}gamma.{index}"] = gamma;
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        Steps = state.GetLong(prefix + "steps");
        _globalGamma = state.TryGetValue(prefix + "global_gamma", out object? g) ? Convert.ToDouble(g, System.Globalization.CultureInfo.InvariantCulture) : null;
        _gamma.Clear();
        foreach (var (key, value) in state)
        {
            if (key.StartsWith(prefix + "gamma.", StringComparison.Ordinal))
            {
                _gamma[int.Parse(key[(prefix.Length + 6)..], System.Globalization.CultureInfo.InvariantCulture)] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }
}
