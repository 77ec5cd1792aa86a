namespace Spamp.Layers;

/// <summary>
/// y = x W^T + b over the last dimension of x (any leading dimensions), as torch.nn.Linear.
/// <para>
/// Parameters: <c>weight</c> [out_features, in_features] and, when <c>bias</c>, <c>bias</c>
/// [out_features]. PyTorch's initialisation: weight by kaiming_uniform(a = sqrt(5)), which is
/// U(-1/sqrt(in), 1/sqrt(in)), and bias by U(-1/sqrt(in), 1/sqrt(in)), both drawn from
/// <c>generator</c> (the default generator when null), weight first.
/// </para>
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer and initialises it as torch.nn.Linear does.</summary>
    /// <param name="inFeatures">Size of each input sample (the last dimension of the input).</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="bias">Whether to learn an additive bias (default true).</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of the initial values (default <see cref="Generator.Default"/>).</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        if (inFeatures < 0 || outFeatures < 0)
        {
            throw new ArgumentOutOfRangeException(inFeatures < 0 ? nameof(inFeatures) : nameof(outFeatures),
                $"linear: feature counts must be non-negative, got in_features={inFeatures}, out_features={outFeatures}");
        }

        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Zeros([outFeatures, inFeatures], dtype, device));
        Bias = bias ? RegisterParameter("bias", Tensor.Zeros([outFeatures], dtype, device)) : null;
        ResetParameters(generator);
    }

    /// <summary>in_features.</summary>
    public int InFeatures { get; }

    /// <summary>out_features.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, [out_features, in_features].</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, [out_features], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Re-draws the parameters with PyTorch's initialisation (reset_parameters).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        if (InFeatures == 0)
        {
            // PyTorch skips initialisation of an empty fan-in (the bound would be infinite).
            return;
        }

        Init.KaimingUniform(Weight.Data, a: Math.Sqrt(5), generator: generator);
        if (Bias is not null)
        {
            double bound = 1 / Math.Sqrt(InFeatures);
            Init.Uniform(Bias.Data, -bound, bound, generator);
        }
    }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        if (input.Rank == 0 || input.Shape[-1] != InFeatures)
        {
            throw new ShapeMismatchException(
                $"linear: input {input.Shape} has {(input.Rank == 0 ? 0 : input.Shape[-1])} features, expected {InFeatures}", nameof(input));
        }

        // Leading dimensions fold into one matrix row dimension so the product is a single GEMM
        // (a batched matmul against a broadcast weight would run one small GEMM per leading index).
        Variable rows = input.Rank > 2 ? input.Reshape(-1, InFeatures) : input;
        Variable output = rows.MatMul(Weight.T);
        if (Bias is not null)
        {
            output += Bias;
        }

        if (input.Rank > 2)
        {
            int[] shape = input.Shape.ToArray();
            shape[^1] = OutFeatures;
            output = output.Reshape(shape);
        }

        return output;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is not null ? "True" : "False")}";
}
