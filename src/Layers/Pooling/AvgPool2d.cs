namespace Spamp.Layers;

/// <summary>2-d average pooling, as torch.nn.AvgPool2d.</summary>
/// <param name="kernelSize">Window size: an int or (kH, kW).</param>
/// <param name="stride">Step between windows; default (null) = kernelSize.</param>
/// <param name="padding">Implicit zeros on both sides (at most half the kernel); default 0.</param>
/// <param name="ceilMode">Round the output size up; default false.</param>
/// <param name="countIncludePad">Count padding zeros in each window's divisor; default true.</param>
/// <param name="divisorOverride">When set, the divisor of every window.</param>
public sealed class AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false, bool countIncludePad = true,
    int? divisorOverride = null) : Module
{
    /// <summary>kernel_size.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>stride (kernel_size when not given).</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>padding.</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>ceil_mode.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>count_include_pad.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <summary>divisor_override.</summary>
    public int? DivisorOverride { get; } = divisorOverride;

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) =>
        Functional.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
