namespace Spamp.Optim;

/// <summary>The statistic ZClip compares the global norm against (ALGORITHMS.md 5).</summary>
public enum ZClipMode
{
    /// <summary>z-score <c>z = (N - mean)/(sigma + eps)</c>, clip when <c>z &gt; z_thresh</c> (default).</summary>
    ZScore,
    /// <summary>Fixed threshold <c>mean + z_thresh sigma</c> ("clip to max").</summary>
    Percentile,
}

/// <summary>Where ZClip's z-score mode clips a spike to.</summary>
public enum ZClipOption
{
    /// <summary>Reciprocal clipping: <c>clip_factor (mean + z_thresh^2 sigma / z)</c> (default).</summary>
    AdaptiveScaling,
    /// <summary>The EMA mean.</summary>
    Mean,
}

/// <summary>
/// ZClip, z-score adaptive clipping of the global gradient norm (arXiv 2504.02507; semantics of the
/// reference code bluorion-com/ZClip, ALGORITHMS.md 5.3). Warmup: the first <see cref="WarmupSteps"/>
/// norms fill a buffer (mean and population variance when it is full) and only the hard
/// <see cref="MaxGradNorm"/> clip applies, with PyTorch semantics. Afterwards: <c>clipVal</c> from
/// <see cref="Mode"/>/<see cref="ClipOption"/>, <c>eff = min(clipVal ?? N, maxGradNorm)</c>, gradients
/// scaled by <c>eff/(N + 1e-6)</c> when <c>N &gt; eff</c> (strictly), then the EMA
/// (<c>mean = a mean + (1-a) x</c>, <c>var = a var + (1-a)(x - mean_new)^2</c>) with
/// <c>x = clipVal ?? N</c>, not updated on a spike when <see cref="SkipUpdateOnSpike"/>.
/// <para>
/// Note the defaults: <see cref="MaxGradNorm"/> = 1.0 means ZClip ALSO always enforces a hard global
/// clip at 1; pass null for pure ZClip. A non-finite norm (possible only when the optimizer's policy
/// is Propagate) changes nothing and leaves the statistics untouched, where the reference code
/// would poison its EMA forever. State: the warmup buffer, the flag, mean and var (global).
/// </para>
/// </summary>
public sealed class ZClip : IGradientTransform
{
    private readonly List<double> _buffer = [];

    /// <inheritdoc/>
    public string Name => "zclip";

    /// <summary>EMA factor (default 0.97).</summary>
    public double Alpha { get; init; } = 0.97;

    /// <summary>z threshold (default 2.5).</summary>
    public double ZThreshold { get; init; } = 2.5;

    /// <summary>Hard global clip applied on top (default 1.0; null: none).</summary>
    public double? MaxGradNorm { get; init; } = 1.0;

    /// <summary>Added to sigma in the z-score (default 1e-6).</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary>Steps whose norms initialise the statistics (default 25).</summary>
    public int WarmupSteps { get; init; } = 25;

    /// <summary>Z-score or percentile (default z-score).</summary>
    public ZClipMode Mode { get; init; } = ZClipMode.ZScore;

    /// <summary>Adaptive scaling or mean (default adaptive scaling).</summary>
    public ZClipOption ClipOption { get; init; } = ZClipOption.AdaptiveScaling;

    /// <summary>Multiplies the whole adaptive-scaling threshold, mean included, as the reference code does (default 1).</summary>
    public double ClipFactor { get; init; } = 1.0;

    /// <summary>Leave the EMA untouched on a step that was clipped adaptively (default false).</summary>
    public bool SkipUpdateOnSpike { get; init; }

    /// <summary>True once the warmup buffer was turned into statistics.</summary>
    public bool Initialized { get; private set; }

    /// <summary>The EMA mean of the norm.</summary>
    public double Mean { get; private set; }

    /// <summary>The EMA variance of the norm.</summary>
    public double Variance { get; private set; }

    /// <summary>The raw global norm of the last step (the reference's return value).</summary>
    public double LastNorm { get; private set; }

    /// <summary>The factor the gradients were multiplied by at the last step (1: none).</summary>
    public double LastFactor { get; private set; } = 1;

    /// <summary>Skips the warmup: the statistics start at <paramref name="mean"/> and <paramref name="variance"/>.</summary>
    public void SetStatistics(double mean, double variance)
    {
        Mean = mean;
        Variance = variance;
        Initialized = true;
        _buffer.Clear();
    }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        double n = context.GlobalNorm();
        LastNorm = n;
        LastFactor = 1;
        if (!double.IsFinite(n))
        {
            return;
        }

        if (!Initialized)
        {
            _buffer.Add(n);
            if (_buffer.Count >= WarmupSteps)
            {
                double sum = 0;
                foreach (double x in _buffer)
                {
                    sum += x;
                }

                double mean = sum / _buffer.Count, sq = 0;
                foreach (double x in _buffer)
                {
                    sq += (x - mean) * (x - mean);
                }

                SetStatistics(mean, sq / _buffer.Count);
            }

            if (MaxGradNorm is double hard)
            {
                double coef = hard / (n + ClipGradNorm.Epsilon);
                LastFactor = Math.Min(coef, 1.0);
                ClipGradNorm.Clip(context, hard);
            }

            Report(context, MaxGradNorm ?? double.NaN);
            return;
        }

        double sigma = Math.Sqrt(Variance);
        double? clipVal = null;
        if (Mode == ZClipMode.Percentile)
        {
            double thr = Mean + (ZThreshold * sigma);
            if (n > thr)
            {
                clipVal = thr;
            }
        }
        else
        {
            double z = (n - Mean) / (sigma + Eps);
            if (z > ZThreshold)
            {
                clipVal = ClipOption == ZClipOption.AdaptiveScaling
                    ? ClipFactor * (Mean + (ZThreshold * sigma / (z / ZThreshold)))
                    : Mean;
            }
        }

        double eff = clipVal ?? n;
        if (MaxGradNorm is double max)
        {
            eff = Math.Min(eff, max);
        }

        if (n > eff)
        {
            // The reference's helper: a hard-coded 1e-6 (not Eps) and a strict comparison.
            double coef = eff / (n + ClipGradNorm.Epsilon);
            if (coef < 1)
            {
                LastFactor = coef;
                for (int i = 0; i < context.Parameters.Count; i++)
                {
                    context.ScaleGradient(i, coef);
                }
            }
        }

        Report(context, eff);
        if (clipVal is not null && SkipUpdateOnSpike)
        {
            return;
        }

        // The EMA takes the adaptive threshold on a spike, never the hard-capped value or the raw spike.
        double xs = clipVal ?? n;
        Mean = (Alpha * Mean) + ((1 - Alpha) * xs);
        Variance = (Alpha * Variance) + ((1 - Alpha) * (xs - Mean) * (xs - Mean));
    }

    private void Report(StepContext context, double threshold)
    {
        if (context.Report is null)
        {
            return;
        }

        foreach (LayerGroup layer in context.Layers)
        {
            if (context.LayerReportOf(layer) is { } line)
            {
                line.Tau = threshold;
                line.Clipped |= LastFactor < 1;
            }
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        state[prefix + "initialized"] = Initialized ? 1L : 0L;
        state[prefix + "mean"] = Mean;
        state[prefix + "var"] = Variance;
        state[prefix + "buffer"] = _buffer.ToArray();
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        Initialized = state.GetLong(prefix + "initialized") != 0;
        Mean = state.GetDouble(prefix + "mean");
        Variance = state.GetDouble(prefix + "var");
        _buffer.Clear();
        if (state.TryGetValue(prefix + "buffer", out object? b) && b is double[] values)
        {
            _buffer.AddRange(values);
        }
    }
}
