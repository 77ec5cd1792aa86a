namespace Spamp.Layers;

/// <summary>
/// Root-mean-square normalisation (torch.nn.RMSNorm): y = x / sqrt(mean(x^2) + eps) * weight over the
/// trailing <c>normalized_shape</c> dimensions. Defaults as PyTorch: eps = null, meaning
/// torch.finfo(input dtype).eps; elementwise_affine = true with weight starting at ones. No bias.
/// </summary>
public sealed class RMSNorm : Module
{
    private readonly int[] _normalizedShape;

    /// <summary>Normalises over the last dimension of size <paramref name="normalizedShape"/>.</summary>
    public RMSNorm(int normalizedShape, double? eps = null, bool elementwiseAffine = true, DType dtype = DType.Float32, Device? device = null)
        : this([normalizedShape], eps, elementwiseAffine, dtype, device)
    {
    }

    /// <summary>Normalises over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The trailing input dimensions normalised together.</param>
    /// <param name="eps">Added to mean(x^2); null (default) uses the input dtype's machine epsilon.</param>
    /// <param name="elementwiseAffine">Whether to learn a per-element weight (default true).</param>
    /// <param name="dtype">Parameter type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    public RMSNorm(int[] normalizedShape, double? eps = null, bool elementwiseAffine = true, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"rms_norm: normalized_shape {Shape.Format(normalizedShape)} must be non-empty with positive sizes", nameof(normalizedShape));
        }

        _normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        Weight = elementwiseAffine ? RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype, device)) : null;
    }

    /// <summary>The normalised trailing shape.</summary>
    public IReadOnlyList<int> NormalizedShape => _normalizedShape;

    /// <summary>Added to mean(x^2); null means the machine epsilon of the input's dtype.</summary>
    public double? Eps { get; }

    /// <summary>The scale (ones at start), or null without affine.</summary>
    public Parameter? Weight { get; }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => Functional.RmsNorm(input, _normalizedShape, Weight, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{Shape.Format(_normalizedShape)}, eps={(Eps is double e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}, elementwise_affine={(Weight is not null ? "True" : "False")}";
}
