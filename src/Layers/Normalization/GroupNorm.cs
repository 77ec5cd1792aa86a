namespace Spamp.Layers;

/// <summary>
/// Group normalisation (torch.nn.GroupNorm) of [N, C, *] inputs: the C channels are split into
/// <c>num_groups</c> groups and each (sample, group) is normalised over its channels and positions,
/// then scaled and shifted per channel. Defaults as PyTorch: eps = 1e-5, affine = true with weight at
/// ones and bias at zeros, both [C].
/// </summary>
public sealed class GroupNorm : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numGroups">Number of channel groups; must divide <paramref name="numChannels"/>.</param>
    /// <param name="numChannels">C, the channel count of the input.</param>
    /// <param name="eps">Added to the variance (default 1e-5).</param>
    /// <param name="affine">Whether to learn a per-channel weight and bias (default true).</param>
    /// <param name="dtype">Parameter type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32, Device? device = null)
    {
        if (numGroups <= 0 || numChannels % numGroups != 0)
        {
            throw new ArgumentException($"group_norm: num_channels {numChannels} must be divisible by num_groups {numGroups}", nameof(numGroups));
        }

        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numChannels], dtype, device));
            Bias = RegisterParameter("bias", Tensor.Zeros([numChannels], dtype, device));
        }
    }

    /// <summary>num_groups.</summary>
    public int NumGroups { get; }

    /// <summary>num_channels.</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Per-channel scale, or null without affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>Per-channel shift, or null without affine.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        if (input.Rank < 2 || input.Shape[1] != NumChannels)
        {
            throw new ShapeMismatchException($"group_norm: input {input.Shape} must be [N, {NumChannels}, *]", nameof(input));
        }

        return Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={Eps}, affine={(Weight is not null ? "True" : "False")}";
}
