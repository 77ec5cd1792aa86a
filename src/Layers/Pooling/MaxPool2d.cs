namespace Spamp.Layers;

/// <summary>
/// 2-d max pooling, as torch.nn.MaxPool2d: the largest element of each window (padding is -inf);
/// the gradient goes to that element.
/// </summary>
/// <param name="kernelSize">Window size: an int or (kH, kW).</param>
/// <param name="stride">Step between windows; default (null) = kernelSize.</param>
/// <param name="padding">Implicit -inf on both sides (at most half the kernel); default 0.</param>
/// <param name="dilation">Spacing between window taps; default 1.</param>
/// <param name="ceilMode">Round the output size up; default false.</param>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false) : Module
{
    /// <summary>kernel_size.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>stride (kernel_size when not given).</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>padding.</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>dilation.</summary>
    public Size2 Dilation { get; } = dilation ?? 1;

    /// <summary>ceil_mode.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>The pooled output and each output's flat index within its input plane (return_indices=True).</summary>
    public (Variable Output, Tensor Indices) ForwardWithIndices(Variable input)
    {
        Tensor? indices = null;
        Variable output = RunForward(() =>
        {
            var (y, i) = Functional.MaxPool2dWithIndices(input, KernelSize, Stride, Padding, Dilation, CeilMode);
            indices = i;
            return y;
        }, input);
        return (output, indices!);
    }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) =>
        Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={(CeilMode ? "True" : "False")}";
}
