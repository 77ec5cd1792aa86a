namespace Spamp.Optim;

/// <summary>
/// Global gradient-norm clipping with PyTorch's <c>clip_grad_norm_</c> semantics (ALGORITHMS.md 2.1):
/// <c>total</c> = the p-norm over all gradients (p = 2, +inf, or any p &gt; 0; per-tensor norms in
/// double), <c>c = min(maxNorm / (total + 1e-6), 1)</c> with NaN kept, every gradient multiplied by
/// <c>c</c>. With <see cref="ErrorIfNonfinite"/> a NaN or infinite total throws before anything is
/// modified. The pre-clip total is kept in <see cref="LastTotalNorm"/> (and returned by
/// <see cref="Clip"/>). Stateless.
/// <para>
/// With p = 2 and <see cref="ErrorIfNonfinite"/> off it also runs in a device-resident step: one scalar
/// kernel sums the norm cache and records the factor as every gradient's pending scale, and the total
/// stays on the device until <see cref="LastTotalNorm"/> is read.
/// </para>
/// </summary>
public sealed class ClipGradNorm : IGradientTransform, IDeviceResident
{
    private DeviceStep? _device;
    private double _lastTotalNorm;

    /// <summary>The constant PyTorch adds to the total norm (hard-coded, absolute).</summary>
    public const double Epsilon = 1e-6;

    /// <summary>Creates the transform. <paramref name="maxNorm"/> must be &gt;= 0; <paramref name="normType"/> must be &gt; 0 (+inf allowed).</summary>
    public ClipGradNorm(double maxNorm = 1.0, double normType = 2.0, bool errorIfNonfinite = false)
    {
        Validate(maxNorm, normType);
        MaxNorm = maxNorm;
        NormType = normType;
        ErrorIfNonfinite = errorIfNonfinite;
    }

    /// <inheritdoc/>
    public string Name => "clip_grad_norm";

    /// <summary>The largest total norm let through.</summary>
    public double MaxNorm { get; }

    /// <summary>The p of the norm (2, <see cref="double.PositiveInfinity"/>, or any p &gt; 0).</summary>
    public double NormType { get; }

    /// <summary>Throw <see cref="NonFiniteGradientException"/> on a NaN or infinite total norm (nothing is modified).</summary>
    public bool ErrorIfNonfinite { get; }

    /// <summary>The total norm before clipping at the last step (PyTorch's return value; read from the device after device-resident steps).</summary>
    public double LastTotalNorm
    {
        get
        {
            _device?.Synchronize();
            return _lastTotalNorm;
        }

        private set => _lastTotalNorm = value;
    }

    /// <inheritdoc/>
    bool IDeviceResident.RunsOnDevice => NormType == 2.0 && !ErrorIfNonfinite;

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.OnDevice is { } device)
        {
            device.Kernels.ClipGlobal(device.Scalars, device.Norms, device.Scales, device.Tensors.Count, MaxNorm, device.RegionOf(this));
            return;
        }

        LastTotalNorm = Clip(context, MaxNorm, NormType, ErrorIfNonfinite);
    }

    /// <inheritdoc/>
    /// <remarks>Two slots: the last total norm and whether that step clipped.</remarks>
    int IDeviceResident.SlotCount(DeviceStep step) => 2;

    /// <inheritdoc/>
    void IDeviceResident.Upload(DeviceStep step, Span<double> slots)
    {
        _device = step;
        slots[0] = _lastTotalNorm;
    }

    /// <inheritdoc/>
    void IDeviceResident.Download(DeviceStep step, ReadOnlySpan<double> slots) => LastTotalNorm = slots[0];

    /// <inheritdoc/>
    void IDeviceResident.Report(DeviceStep step, ReadOnlySpan<double> slots, StepReport report)
    {
        foreach (LayerReport line in report.Layers)
        {
            line.Tau = MaxNorm;
            line.Clipped |= slots[1] != 0;
        }
    }

    /// <summary>
    /// Clips every gradient of <paramref name="context"/> in place as described on the class and
    /// returns the total norm before clipping (0 and nothing done when there are no gradients).
    /// </summary>
    public static double Clip(StepContext context, double maxNorm, double normType = 2.0, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        Validate(maxNorm, normType);
        if (context.Parameters.Count == 0)
        {
            return 0.0;
        }

        double total = TotalNorm(context, normType);
        if (errorIfNonfinite && !double.IsFinite(total))
        {
            throw new NonFiniteGradientException($"clip_grad_norm: the total norm of order {normType} of the gradients is {total}; set errorIfNonfinite to false to clip anyway");
        }

        double coef = maxNorm / (total + Epsilon);
        double c = double.IsNaN(coef) ? coef : Math.Min(coef, 1.0);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            // PyTorch multiplies unconditionally; skipping c == 1 gives the identical result without a pass.
            if (c != 1.0)
            {
                context.ScaleGradient(i, c);
            }
        }

        foreach (LayerGroup layer in context.Layers)
        {
            if (context.LayerReportOf(layer) is { } line)
            {
                line.Tau = maxNorm;
                line.Clipped |= c < 1.0 || double.IsNaN(c);
            }
        }

        return total;
    }

    /// <summary>The p-norm of the vector of per-tensor p-norms (2: from the cached squared norms).</summary>
    public static double TotalNorm(StepContext context, double normType)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (normType == 2.0)
        {
            return context.GlobalNorm();
        }

        double total = 0;
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            Tensor g = context.Gradient(i);
            if (double.IsPositiveInfinity(normType))
            {
                double m = context.Kernels(i).MaxAbs(g.Storage, g.Numel);
                total = double.IsNaN(m) || double.IsNaN(total) ? double.NaN : Math.Max(total, m);
            }
            else
            {
                total += context.Kernels(i).PowerSum(g.Storage, g.Numel, normType);
            }
        }

        return double.IsPositiveInfinity(normType) ? total : Math.Pow(total, 1.0 / normType);
    }

    internal static void Validate(double maxNorm, double normType)
    {
        if (!(maxNorm >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"clip_grad_norm: max norm must be >= 0, got {maxNorm}");
        }

        if (!(normType > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(normType), normType, $"clip_grad_norm: norm type must be > 0 (or +inf), got {normType}");
        }
    }
}
