namespace Spamp.Layers;

/// <summary>
/// 1-d convolution over [N, C, L] inputs, as torch.nn.Conv1d (zero padding), computed by the 2-d
/// kernels with height 1. Parameters <c>weight</c> [out_channels, in_channels/groups, k] and
/// optional <c>bias</c> [out_channels], initialised as PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
/// for both (kaiming_uniform with a = sqrt(5) for the weight), fan_in = in_channels/groups * k.
/// </summary>
public sealed class Conv1d : Module
{
    /// <summary>Creates the layer and initialises it as torch.nn.Conv1d does.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">Filter length.</param>
    /// <param name="stride">Step between outputs; default 1.</param>
    /// <param name="padding">Zeros on both ends (an int), or <see cref="ConvPadding.Same"/> / <see cref="ConvPadding.Valid"/>; default 0.</param>
    /// <param name="dilation">Spacing between taps; default 1.</param>
    /// <param name="groups">Independent channel groups; default 1.</param>
    /// <param name="bias">Whether to learn a bias; default true.</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of the initial values (default <see cref="Generator.Default"/>).</param>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, ConvPadding? padding = null, int dilation = 1,
        int groups = 1, bool bias = true, DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        ConvPadding pad = padding ?? 0;
        if (pad.Mode == ConvPaddingMode.Explicit && !pad.Size.IsSquare)
        {
            throw new ArgumentException($"conv1d: padding must be a single int, 'same' or 'valid', got {pad}", nameof(padding));
        }

        ConvChecks.Validate("conv1d", inChannels, outChannels, groups, kernelSize, stride, pad, dilation);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = pad;
        Dilation = dilation;
        Groups = groups;
        Weight = RegisterParameter("weight", Tensor.Zeros([outChannels, inChannels / groups, kernelSize], dtype, device));
        Bias = bias ? RegisterParameter("bias", Tensor.Zeros([outChannels], dtype, device)) : null;
        ResetParameters(generator);
    }

    /// <summary>in_channels.</summary>
    public int InChannels { get; }

    /// <summary>out_channels.</summary>
    public int OutChannels { get; }

    /// <summary>kernel_size.</summary>
    public int KernelSize { get; }

    /// <summary>stride.</summary>
    public int Stride { get; }

    /// <summary>padding.</summary>
    public ConvPadding Padding { get; }

    /// <summary>dilation.</summary>
    public int Dilation { get; }

    /// <summary>groups.</summary>
    public int Groups { get; }

    /// <summary>The filters, [out_channels, in_channels/groups, k].</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, [out_channels], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Re-draws the parameters with PyTorch's initialisation (reset_parameters).</summary>
    public void ResetParameters(Generator? generator = null) => ConvChecks.ResetParameters(Weight, Bias, generator);

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) =>
        Functional.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize},), stride=({Stride},)"
        + (Padding.Mode != ConvPaddingMode.Explicit || Padding.Size.Width != 0 ? $", padding={(Padding.Mode == ConvPaddingMode.Explicit ? $"({Padding.Size.Width},)" : Padding.ToString())}" : "")
        + (Dilation != 1 ? $", dilation=({Dilation},)" : "")
        + (Groups != 1 ? $", groups={Groups}" : "")
        + (Bias is null ? ", bias=False" : "");
}
