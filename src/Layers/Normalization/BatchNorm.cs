namespace Spamp.Layers;

/// <summary>
/// Batch normalisation over the channel dimension of [N, C, *] (torch.nn's _BatchNorm):
/// y = (x - mean) / sqrt(var + eps) * weight + bias per channel.
/// <para>
/// In training mode the batch's mean and biased variance normalise, and (with
/// <c>track_running_stats</c>) the buffers <c>running_mean</c> and <c>running_var</c> move towards
/// the batch's mean and unbiased variance: running = (1 - momentum) * running + momentum * batch;
/// with momentum null the factor is 1 / num_batches_tracked, a cumulative average.
/// <c>num_batches_tracked</c> (int64) counts training steps. In evaluation mode the running
/// statistics normalise; without tracked statistics the batch's are always used.
/// Parameters <c>weight</c> (ones) and <c>bias</c> (zeros) exist when <c>affine</c>.
/// </para>
/// </summary>
public abstract class BatchNorm : Module
{
    /// <summary>Creates the layer with PyTorch's initial values.</summary>
    /// <param name="numFeatures">C, the channel count.</param>
    /// <param name="eps">Added to the variance for stability; default 1e-5.</param>
    /// <param name="momentum">Weight of the new batch in the running statistics; default 0.1; null = cumulative average.</param>
    /// <param name="affine">Learn a per-channel weight and bias; default true.</param>
    /// <param name="trackRunningStats">Keep running statistics for evaluation; default true.</param>
    /// <param name="dtype">Parameter and statistic element type (default float32).</param>
    /// <param name="device">Device (default CPU).</param>
    protected BatchNorm(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype, Device? device)
    {
        if (numFeatures <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, $"batch_norm: num_features must be positive, got {numFeatures}");
        }

        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        Weight = affine ? RegisterParameter("weight", Tensor.Ones([numFeatures], dtype, device)) : null;
        Bias = affine ? RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype, device)) : null;
        if (trackRunningStats)
        {
            RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype, device));
            RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype, device));
            RegisterBuffer("num_batches_tracked", Tensor.Zeros(Shape.Scalar, DType.Int64, device));
        }
    }

    /// <summary>num_features (C).</summary>
    public int NumFeatures { get; }

    /// <summary>eps.</summary>
    public double Eps { get; }

    /// <summary>momentum (null: cumulative moving average).</summary>
    public double? Momentum { get; }

    /// <summary>affine.</summary>
    public bool Affine { get; }

    /// <summary>track_running_stats.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>The per-channel scale (gamma), or null without affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>The per-channel shift (beta), or null without affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>The running mean buffer (null without tracked statistics). Look it up each time: loading a state dict may replace it.</summary>
    public Tensor? RunningMean => FindBuffer("running_mean");

    /// <summary>The running (unbiased) variance buffer (null without tracked statistics).</summary>
    public Tensor? RunningVar => FindBuffer("running_var");

    /// <summary>The int64 count of training batches seen (null without tracked statistics).</summary>
    public Tensor? NumBatchesTracked => FindBuffer("num_batches_tracked");

    /// <summary>Resets the running statistics to mean 0, variance 1 and the count to 0 (reset_running_stats).</summary>
    public void ResetRunningStats()
    {
        RunningMean?.FillInPlace(0);
        RunningVar?.FillInPlace(1);
        NumBatchesTracked?.FillInPlace(0);
    }

    /// <summary>Checks the input's rank (the subclasses' _check_input_dim).</summary>
    protected abstract void CheckInputDim(Variable input);

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInputDim(input);
        double factor = Momentum ?? 0;
        if (Training && TrackRunningStats && NumBatchesTracked is { } count)
        {
            using (Tensor one = Tensor.Ones(Shape.Scalar, DType.Int64, count.Device))
            {
                count.AddInPlace(one);
            }

            if (Momentum is null)
            {
                // The cumulative average needs the count on the host (a device sync on a GPU, as in PyTorch).
                factor = 1.0 / count.ItemAsDouble();
            }
        }

        // Batch statistics in training, and always when there are no running statistics.
        bool useBatchStats = Training || !TrackRunningStats;
        Tensor? mean = TrackRunningStats ? RunningMean : null;
        Tensor? variance = TrackRunningStats ? RunningVar : null;
        return Functional.BatchNorm(input, mean, variance, Weight, Bias, useBatchStats, factor, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={PythonFloat(Eps)}, "
        + $"momentum={(Momentum is { } m ? PythonFloat(m) : "None")}, "
        + $"affine={(Affine ? "True" : "False")}, track_running_stats={(TrackRunningStats ? "True" : "False")}";

    /// <summary>A float as Python's repr writes it (1e-05, 0.1), so the text matches PyTorch's.</summary>
    private static string PythonFloat(double value) =>
        value != 0 && Math.Abs(value) < 1e-4
            ? value.ToString("0.################e-00", System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Batch norm over [N, C] or [N, C, L] inputs (torch.nn.BatchNorm1d); see <see cref="BatchNorm"/>.</summary>
/// <param name="numFeatures">C.</param>
/// <param name="eps">Added to the variance; default 1e-5.</param>
/// <param name="momentum">Running-statistic factor; default 0.1; null = cumulative average.</param>
/// <param name="affine">Learn weight and bias; default true.</param>
/// <param name="trackRunningStats">Keep running statistics; default true.</param>
/// <param name="dtype">Element type (default float32).</param>
/// <param name="device">Device (default CPU).</param>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
    DType dtype = DType.Float32, Device? device = null) : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    /// <inheritdoc/>
    protected override void CheckInputDim(Variable input)
    {
        if (input.Rank != 2 && input.Rank != 3)
        {
            throw new ShapeMismatchException($"batch_norm1d: expected a 2-d or 3-d input ([N, C] or [N, C, L]), got {input.Shape}", nameof(input));
        }
    }
}

/// <summary>Batch norm over [N, C, H, W] inputs (torch.nn.BatchNorm2d); see <see cref="BatchNorm"/>.</summary>
/// <param name="numFeatures">C.</param>
/// <param name="eps">Added to the variance; default 1e-5.</param>
/// <param name="momentum">Running-statistic factor; default 0.1; null = cumulative average.</param>
/// <param name="affine">Learn weight and bias; default true.</param>
/// <param name="trackRunningStats">Keep running statistics; default true.</param>
/// <param name="dtype">Element type (default float32).</param>
/// <param name="device">Device (default CPU).</param>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
    DType dtype = DType.Float32, Device? device = null) : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    /// <inheritdoc/>
    protected override void CheckInputDim(Variable input)
    {
        if (input.Rank != 4)
        {
            throw new ShapeMismatchException($"batch_norm2d: expected a 4-d input [N, C, H, W], got {input.Shape}", nameof(input));
        }
    }
}
