namespace Spamp.Layers;

/// <summary>
/// Layer normalisation (torch.nn.LayerNorm) over the trailing <c>normalized_shape</c> dimensions:
/// y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with the biased variance. Defaults as
/// PyTorch: eps = 1e-5, elementwise_affine = true, bias = true; weight starts at ones and bias at
/// zeros, both of shape normalized_shape. Forward and backward are single fused kernels.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _normalizedShape;

    /// <summary>Normalises over the last dimension of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32, Device? device = null)
        : this([normalizedShape], eps, elementwiseAffine, bias, dtype, device)
    {
    }

    /// <summary>Normalises over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The trailing input dimensions normalised together.</param>
    /// <param name="eps">Added to the variance for numerical stability (default 1e-5).</param>
    /// <param name="elementwiseAffine">Whether to learn weight (and bias) (default true).</param>
    /// <param name="bias">Whether to learn a bias when affine (default true).</param>
    /// <param name="dtype">Parameter type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"layer_norm: normalized_shape {Shape.Format(normalizedShape)} must be non-empty with positive sizes", nameof(normalizedShape));
        }

        _normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype, device));
            Bias = bias ? RegisterParameter("bias", Tensor.Zeros(normalizedShape, dtype, device)) : null;
        }
    }

    /// <summary>The normalised trailing shape.</summary>
    public IReadOnlyList<int> NormalizedShape => _normalizedShape;

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The scale (ones at start), or null without affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>The shift (zeros at start), or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Sets weight to ones and bias to zeros (reset_parameters).</summary>
    public void ResetParameters()
    {
        if (Weight is not null)
        {
            Init.Ones(Weight.Data);
        }

        if (Bias is not null)
        {
            Init.Zeros(Bias.Data);
        }
    }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => Functional.LayerNorm(input, _normalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{Shape.Format(_normalizedShape)}, eps={Eps}, elementwise_affine={(Weight is not null ? "True" : "False")}";
}
