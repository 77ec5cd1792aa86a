namespace Spamp.Optim;

/// <summary>How SPAMP brings the magnitude back after the power map (ALGORITHMS.md 1.2 A4).</summary>
public enum SpampShapeMode
{
    /// <summary><c>s = ||g|| * w/||w||</c> with <c>w = sign(g)|g/unit|^alpha</c>: the norm is unchanged and only the direction depends on alpha (default).</summary>
    RestoreNorm,
    /// <summary><c>s_i = rho * sign(g_i) |g_i/rho|^alpha</c> with <c>rho = ||g||/sqrt(n)</c>: a soft norm reduction (power-mean inequality).</summary>
    Rms,
    /// <summary>Literal <c>sign(g)|g|^alpha</c>: not scale-equivariant; for paper-literal ablations only.</summary>
    Raw,
}

/// <summary>How SPAMP's norm EMA starts (ALGORITHMS.md 1.2 A1).</summary>
public enum SpampTauInit
{
    /// <summary>Zero start with bias correction <c>tau = tau_raw/(1 - beta^k)</c>, so <c>tau_1 = ||g_1||</c> (default).</summary>
    BiasCorrected,
    /// <summary>Zero start, no correction: <c>tau_1 = (1-beta)||g_1||</c>, an implicit warmup of about 1/(1-beta) steps (paper-literal).</summary>
    Zero,
    /// <summary><c>tau_1 = ||g_1||</c>, then the plain EMA.</summary>
    FirstNorm,
}

/// <summary>Where SPAMP's threshold tau comes from (the Table 4 ablations "fixed tau" and "no EMA").</summary>
public enum SpampTauSource
{
    /// <summary>The EMA of the layer's norm, current norm included (Algorithm 1 line 1; default).</summary>
    Ema,
    /// <summary>A constant <see cref="SpampShaping.FixedTau"/> (ablation "fixed tau").</summary>
    Fixed,
    /// <summary>
    /// The previous step's norm, no smoothing (ablation "no EMA"; the first step uses its own norm).
    /// Taking the current norm instead would make <c>r = 1</c> always and SPAMP a no-op, so the
    /// ablation is read as "beta = 0 against the last norm".
    /// </summary>
    PreviousNorm,
}

/// <summary>The ablations of the SPAMP paper's Table 4, as presets of <see cref="SpampShaping"/>.</summary>
public enum SpampAblation
{
    /// <summary>SPAMP-R with every default.</summary>
    Full,
    /// <summary>A constant threshold (<see cref="SpampTauSource.Fixed"/>).</summary>
    FixedTau,
    /// <summary>alpha fixed at 1: per-layer EMA norm projection only.</summary>
    NoPowerShaping,
    /// <summary>Threshold from the previous norm (<see cref="SpampTauSource.PreviousNorm"/>).</summary>
    NoEma,
    /// <summary>One group over all tensors (global norm, one alpha and factor) instead of per layer.</summary>
    Global,
}

/// <summary>
/// SPAMP gradient shaping, "Statistical Per-layer Adaptive Modulation and Projection" (You and Liu,
/// arXiv 2510.01578), as the recommended concrete algorithm SPAMP-R of ALGORITHMS.md 1.3. For each
/// group (a layer of the step: one tensor by default, a module's tensors under
/// <see cref="LayerGrouping.PerModule"/>, or all tensors with <see cref="Global"/>) with gradient g:
/// <list type="number">
/// <item><c>ng = ||g||</c>; non-finite: the state is left untouched and g passes (the optimizer's
/// <see cref="NonFinitePolicy"/> decides; A10).</item>
/// <item><c>k += 1</c>; <c>tau_raw = beta tau_raw + (1-beta) ng</c>; <c>tau = tau_raw/(1-beta^k)</c>
/// (<see cref="TauInit"/>, A1; with <see cref="TauUsesClippedNorm"/> the EMA takes
/// <c>min(ng, lambda tau_prev)</c>, A2).</item>
/// <item><c>ng == 0</c> or <c>tau == 0</c>: pass g through (A11).</item>
/// <item><c>r = ng/(lambda tau)</c>, <c>alpha = h(r)</c> with <c>h(r) = 1</c> for <c>r &lt;= 1</c>
/// and <c>alpha_min + (1-alpha_min)/r</c> above (A3), <c>lambda</c> = <see cref="ClipMargin"/>.</item>
/// <item>alpha &lt; 1: power shaping in <see cref="ShapeMode"/> (A4).</item>
/// <item>Projection: if <c>||s|| &gt; lambda tau</c>, <c>s *= lambda tau/||s||</c>.</item>
/// </list>
/// Cost: the norm (shared with the rest of the chain through the step's cache), then one fused
/// power pass that returns <c>||w||^2</c>, then one scale pass. The power map's unit is
/// <c>rho = ||g||/sqrt(n)</c> in every mode but Raw: RestoreNorm is independent of the unit (the
/// spec's <c>M = max|g|</c> gives the same output up to rounding) and rho needs no extra max pass.
/// <para>
/// Update clipping (A7, off by default, <see cref="UpdateClipping"/>) acts on the proposed update
/// <c>Delta</c> of each tensor: <c>Delta *= min(1, delta_t/||Delta||)</c> with <c>delta_t</c> the
/// bias-corrected EMA of the raw <c>||Delta||</c> (current included) plus eps. It is registered as an
/// <see cref="IUpdateFilter"/> for the step; see there for how rules apply it.
/// </para>
/// Telemetry: tau, alpha and whether the group was projected go to the layer report.
/// <para>
/// On a GPU the whole method runs in a device-resident step (Spamp.Device.cs) unless <see cref="H"/>
/// or <see cref="UpdateClipping"/> is set, which need host values.
/// </para>
/// </summary>
public sealed partial class SpampShaping : IGradientTransform
{
    private const string GlobalKey = "*";
    private readonly Dictionary<string, GroupState> _groups = [];
    private readonly Dictionary<string, string> _keyOfLayer = [];
    private readonly Dictionary<int, UpdateState> _updates = [];
    private readonly UpdateClipFilter _filter;

    /// <summary>Creates SPAMP-R with the defaults of ALGORITHMS.md 1.3 (change them with the init properties).</summary>
    public SpampShaping() => _filter = new UpdateClipFilter(this);

    /// <summary>A Table 4 ablation preset (<paramref name="fixedTau"/> is the constant of <see cref="SpampAblation.FixedTau"/>).</summary>
    public static SpampShaping Preset(SpampAblation ablation, double fixedTau = 1.0) => ablation switch
    {
        SpampAblation.Full => new SpampShaping(),
        SpampAblation.FixedTau => new SpampShaping { TauSource = SpampTauSource.Fixed, FixedTau = fixedTau },
        SpampAblation.NoPowerShaping => new SpampShaping { PowerShaping = false },
        SpampAblation.NoEma => new SpampShaping { TauSource = SpampTauSource.PreviousNorm },
        SpampAblation.Global => new SpampShaping { Global = true },
        _ => throw new ArgumentOutOfRangeException(nameof(ablation), ablation, "spamp: unknown ablation"),
    };

    /// <inheritdoc/>
    public string Name => "spamp";

    /// <summary>EMA factor of the norm (default 0.99).</summary>
    public double Beta { get; init; } = 0.99;

    /// <summary>The floor of the default <c>h</c> (default 0.7).</summary>
    public double AlphaMin { get; init; } = 0.7;

    /// <summary>A replacement for <c>h(r)</c> (r = ||g||/(lambda tau)); null: the default of A3.</summary>
    public Func<double, double>? H { get; init; }

    /// <summary>How the magnitude comes back after the power map (default RestoreNorm).</summary>
    public SpampShapeMode ShapeMode { get; init; } = SpampShapeMode.RestoreNorm;

    /// <summary>How the norm EMA starts (default BiasCorrected).</summary>
    public SpampTauInit TauInit { get; init; } = SpampTauInit.BiasCorrected;

    /// <summary>Where tau comes from (default the EMA).</summary>
    public SpampTauSource TauSource { get; init; } = SpampTauSource.Ema;

    /// <summary>The constant tau of <see cref="SpampTauSource.Fixed"/>.</summary>
    public double FixedTau { get; init; } = 1.0;

    /// <summary><c>lambda</c>: shaping and projection start at <c>||g|| &gt; lambda tau</c> (default 1).</summary>
    public double ClipMargin { get; init; } = 1.0;

    /// <summary>Feed <c>min(||g||, lambda tau_prev)</c> into the EMA so that a spike cannot inflate tau (default false, as written).</summary>
    public bool TauUsesClippedNorm { get; init; }

    /// <summary>Apply the power map (false: the ablation "no power shaping", alpha = 1).</summary>
    public bool PowerShaping { get; init; } = true;

    /// <summary>One group over all tensors instead of the step's layers (ablation "global").</summary>
    public bool Global { get; init; }

    /// <summary>Update clipping (A7) on the proposed update, per tensor (default off).</summary>
    public bool UpdateClipping { get; init; }

    /// <summary>EMA factor of the update norm (default 0.99).</summary>
    public double UpdateBeta { get; init; } = 0.99;

    /// <summary>Added to the update bound (default 1e-12).</summary>
    public double UpdateEps { get; init; } = 1e-12;

    /// <summary>The default <c>h</c>: 1 for <c>r &lt;= 1</c>, <c>alpha_min + (1 - alpha_min)/r</c> above.</summary>
    public double DefaultH(double r) => r <= 1 ? 1.0 : AlphaMin + ((1 - AlphaMin) / r);

    /// <summary>
    /// The current threshold of the layer named <paramref name="layer"/> (a layer key of the
    /// optimizer; "*" under <see cref="Global"/>), or NaN before its first step in this session.
    /// </summary>
    public double TauOf(string layer)
    {
        _device?.Synchronize();
        return _keyOfLayer.TryGetValue(layer, out string? key) && _groups.TryGetValue(key, out GroupState? s) && s.K > 0 ? s.Tau : double.NaN;
    }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.OnDevice is { } device)
        {
            ApplyOnDevice(device);
            return;
        }

        if (Global)
        {
            if (context.Parameters.Count > 0)
            {
                _keyOfLayer[GlobalKey] = GlobalKey;
                ShapeGroup(context, GlobalKey, [.. context.Parameters], null);
            }
        }
        else
        {
            foreach (LayerGroup layer in context.Layers)
            {
                // State is keyed like the optimizer's own: by parameter index for a single tensor,
                // by module path for a module's tensors (names are the stable identity there).
                string key = context.Optimizer.Grouping == LayerGrouping.PerTensor && layer.Parameters.Count == 1
                    ? layer.Parameters[0].Index.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : "module:" + layer.Name;
                _keyOfLayer[layer.Name] = key;
                ShapeGroup(context, key, layer.Parameters, layer);
            }
        }

        if (UpdateClipping)
        {
            context.AddUpdateFilter(_filter);
        }
    }

    private void ShapeGroup(StepContext context, string key, IReadOnlyList<ParameterState> members, LayerGroup? layer)
    {
        Span<int> positions = members.Count <= 64 ? stackalloc int[members.Count] : new int[members.Count];
        double squared = 0;
        long n = 0;
        for (int j = 0; j < members.Count; j++)
        {
            positions[j] = context.PositionOf(members[j]);
            squared += context.SquaredNorm(positions[j]);
            n += members[j].Parameter.Numel;
        }

        double ng = Math.Sqrt(squared);
        if (!double.IsFinite(ng))
        {
            return;
        }

        if (!_groups.TryGetValue(key, out GroupState? state))
        {
            state = new GroupState();
            _groups[key] = state;
        }

        double tau = AdvanceTau(state, ng);
        double bound = ClipMargin * tau;
        double alpha = 1;
        bool projected = false;
        if (ng > 0 && tau > 0)
        {
            alpha = PowerShaping ? (H ?? DefaultH)(ng / bound) : 1.0;
            if (Math.Abs(1 - alpha) * MaxLogMagnitude < Precision(context, positions))
            {
                // A ratio above 1 only by rounding gives an exponent within ulps of 1. Raising values
                // whose |ln u| is below MaxLogMagnitude to it moves none of them by more than the
                // gradient type's rounding, so the transcendental pass would change nothing.
                alpha = 1;
            }

            double factor = 1, ns = ng;
            if (alpha != 1.0)
            {
                double unit = ShapeMode == SpampShapeMode.Raw ? 1.0 : ng / Math.Sqrt(n);
                double sumW = 0;
                for (int j = 0; j < positions.Length; j++)
                {
                    Tensor g = context.Gradient(positions[j]);
                    double w2 = context.Kernels(positions[j]).PowerShape(g.Storage, g.Numel, 1.0 / unit, alpha);
                    context.SetSquaredNorm(positions[j], w2);
                    sumW += w2;
                }

                double normW = Math.Sqrt(sumW);
                (factor, ns) = ShapeMode switch
                {
                    SpampShapeMode.RestoreNorm => (normW > 0 ? ng / normW : 0, ng),
                    SpampShapeMode.Rms => (unit, unit * normW),
                    _ => (1.0, normW),
                };
            }

            if (ns > bound)
            {
                factor *= bound / ns;
                projected = true;
            }

            if (factor != 1.0)
            {
                for (int j = 0; j < positions.Length; j++)
                {
                    context.ScaleGradient(positions[j], factor);
                }
            }
        }

        Report(context, layer, positions, tau, alpha, projected);
    }

    /// <summary>A bound on |ln u| for the normalised values the power acts on (float32's range spans e^-104..e^89; shaped values sit far inside).</summary>
    private const double MaxLogMagnitude = 40;

    /// <summary>The relative rounding of the group's gradient type (float32 unless every tensor is float64).</summary>
    private static double Precision(StepContext context, ReadOnlySpan<int> positions)
    {
        foreach (int position in positions)
        {
            if (context.Parameters[position].Parameter.DType != DType.Float64)
            {
                return Float32Rounding;
            }
        }

        return Float64Rounding;
    }

    private const double Float32Rounding = 1.1920929e-7; // 2^-23

    private const double Float64Rounding = 2.220446049250313e-16; // 2^-52

    /// <summary>Advances the group's threshold with the norm <paramref name="ng"/> and returns tau for this step.</summary>
    private double AdvanceTau(GroupState s, double ng)
    {
        switch (TauSource)
        {
            case SpampTauSource.Fixed:
                s.K++;
                s.Tau = FixedTau;
                return s.Tau;
            case SpampTauSource.PreviousNorm:
                s.Tau = s.K == 0 ? ng : s.LastNorm;
                s.LastNorm = ng;
                s.K++;
                return s.Tau;
            default:
                double x = TauUsesClippedNorm && s.K > 0 ? Math.Min(ng, ClipMargin * s.Tau) : ng;
                if (TauInit == SpampTauInit.FirstNorm && s.K == 0)
                {
                    s.TauRaw = x;
                }
                else
                {
                    s.TauRaw = (Beta * s.TauRaw) + ((1 - Beta) * x);
                }

                s.K++;
                s.Tau = TauInit == SpampTauInit.BiasCorrected ? s.TauRaw / (1 - Math.Pow(Beta, s.K)) : s.TauRaw;
                return s.Tau;
        }
    }

    private static void Report(StepContext context, LayerGroup? layer, ReadOnlySpan<int> positions, double tau, double alpha, bool projected)
    {
        if (context.Report is null)
        {
            return;
        }

        if (layer is not null)
        {
            Fill(context.LayerReportOf(layer));
            return;
        }

        foreach (int i in positions)
        {
            Fill(context.LayerReportOf(i));
        }

        void Fill(LayerReport? line)
        {
            if (line is not null)
            {
                line.Tau = tau;
                line.Alpha = alpha;
                line.Clipped |= projected;
            }
        }
    }

    private double UpdateFactor(StepContext context, int i, double u)
    {
        if (!double.IsFinite(u))
        {
            return 1.0;
        }

        int index = context.Parameters[i].Index;
        if (!_updates.TryGetValue(index, out UpdateState? s))
        {
            s = new UpdateState();
            _updates[index] = s;
        }

        s.K++;
        // The EMA takes the RAW norms: an EMA of clipped values with margin 1 would only ever fall.
        s.DeltaRaw = (UpdateBeta * s.DeltaRaw) + ((1 - UpdateBeta) * u);
        double delta = (s.DeltaRaw / (1 - Math.Pow(UpdateBeta, s.K))) + UpdateEps;
        return u > delta ? delta / u : 1.0;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        _device?.Synchronize();
        foreach (var (key, s) in _groups)
        {
            state[$"{prefix}group.{key}.tau_raw"] = s.TauRaw;
            state[$"{prefix}group.{key}.tau"] = s.Tau;
            state[$"{prefix}group.{key}.last_norm"] = s.LastNorm;
            state[$"{prefix}group.{key}.k"] = s.K;
        }

        foreach (var (index, s) in _updates)
        {
            state[$"{prefix}update.{index}.delta_raw"] = s.DeltaRaw;
            state[$"{prefix}update.{index}.k"] = s.K;
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        _device?.Invalidate();
        _groups.Clear();
        _keyOfLayer.Clear();
        _updates.Clear();
        foreach (string key in state.Keys)
        {
            if (key.StartsWith(prefix + "group.", StringComparison.Ordinal) && key.EndsWith(".k", StringComparison.Ordinal))
            {
                string p = key[..^1];
                string group = key[(prefix.Length + 6)..^2];
                _groups[group] = new GroupState
                {
                    TauRaw = state.GetDouble(p + "tau_raw"),
                    Tau = state.GetDouble(p + "tau"),
                    LastNorm = state.GetDouble(p + "last_norm"),
                    K = state.GetLong(key),
                };
            }
            else if (key.StartsWith(prefix + "update.", StringComparison.Ordinal) && key.EndsWith(".k", StringComparison.Ordinal))
            {
                string p = key[..^1];
                int index = int.Parse(key[(prefix.Length + 7)..^2], System.Globalization.CultureInfo.InvariantCulture);
                _updates[index] = new UpdateState { DeltaRaw = state.GetDouble(p + "delta_raw"), K = state.GetLong(key) };
            }
        }
    }

    private sealed class GroupState
    {
        public double TauRaw;
        public double Tau;
        public double LastNorm;
        public long K;
    }

    private sealed class UpdateState
    {
        public double DeltaRaw;
        public long K;
    }

    private sealed class UpdateClipFilter(SpampShaping owner) : IUpdateFilter
    {
        public double UpdateFactor(StepContext context, int i, double updateNorm) => owner.UpdateFactor(context, i, updateNorm);
    }
}
