namespace Spamp.Layers;

/// <summary>
/// 2-d convolution over NCHW inputs, as torch.nn.Conv2d (zero padding, the only padding_mode here).
/// <para>
/// Parameters: <c>weight</c> [out_channels, in_channels/groups, kH, kW] and, when <c>bias</c>,
/// <c>bias</c> [out_channels]. PyTorch's initialisation: weight by kaiming_uniform(a = sqrt(5)),
/// which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels/groups * kH * kW, then bias
/// by U(-1/sqrt(fan_in), 1/sqrt(fan_in)), both drawn from <c>generator</c> (the default generator
/// when null), weight first.
/// </para>
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer and initialises it as torch.nn.Conv2d does.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output (number of filters).</param>
    /// <param name="kernelSize">Filter size: an int or (kH, kW).</param>
    /// <param name="stride">Step between output positions; default 1.</param>
    /// <param name="padding">Zeros on both sides (int or (h, w)), or <see cref="ConvPadding.Same"/> / <see cref="ConvPadding.Valid"/>; default 0.</param>
    /// <param name="dilation">Spacing between kernel taps; default 1.</param>
    /// <param name="groups">Independent channel groups (in and out channels must be multiples); default 1.</param>
    /// <param name="bias">Whether to learn a bias; default true.</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of the initial values (default <see cref="Generator.Default"/>).</param>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, ConvPadding? padding = null, Size2? dilation = null,
        int groups = 1, bool bias = true, DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        ConvChecks.Validate("conv2d", inChannels, outChannels, groups, kernelSize, stride ?? 1, padding ?? 0, dilation ?? 1);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding ?? 0;
        Dilation = dilation ?? 1;
        Groups = groups;
        Weight = RegisterParameter("weight", Tensor.Zeros([outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width], dtype, device));
        Bias = bias ? RegisterParameter("bias", Tensor.Zeros([outChannels], dtype, device)) : null;
        ResetParameters(generator);
    }

    /// <summary>in_channels.</summary>
    public int InChannels { get; }

    /// <summary>out_channels.</summary>
    public int OutChannels { get; }

    /// <summary>kernel_size.</summary>
    public Size2 KernelSize { get; }

    /// <summary>stride.</summary>
    public Size2 Stride { get; }

    /// <summary>padding.</summary>
    public ConvPadding Padding { get; }

    /// <summary>dilation.</summary>
    public Size2 Dilation { get; }

    /// <summary>groups.</summary>
    public int Groups { get; }

    /// <summary>The filters, [out_channels, in_channels/groups, kH, kW].</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, [out_channels], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Re-draws the parameters with PyTorch's initialisation (reset_parameters).</summary>
    public void ResetParameters(Generator? generator = null) => ConvChecks.ResetParameters(Weight, Bias, generator);

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) =>
        Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size={Pair(KernelSize)}, stride={Pair(Stride)}"
        + (Padding.Mode != ConvPaddingMode.Explicit || Padding.Size != new Size2(0, 0) ? $", padding={(Padding.Mode == ConvPaddingMode.Explicit ? Pair(Padding.Size) : Padding.ToString())}" : "")
        + (Dilation != new Size2(1, 1) ? $", dilation={Pair(Dilation)}" : "")
        + (Groups != 1 ? $", groups={Groups}" : "")
        + (Bias is null ? ", bias=False" : "");

    private static string Pair(Size2 size) => $"({size.Height}, {size.Width})";
}
