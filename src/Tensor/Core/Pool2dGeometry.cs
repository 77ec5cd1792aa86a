namespace Spamp;

/// <summary>
/// Every size of one 2-d pooling window sweep over an NCHW input [Batch, Channels, InHeight, InWidth]
/// producing [Batch, Channels, OutHeight, OutWidth]. Window (oh, ow) starts at row
/// oh*StrideHeight - PadHeight and column ow*StrideWidth - PadWidth and has KernelHeight x KernelWidth
/// taps spaced by the dilation. Adaptive pooling uses only the sizes (its windows come from
/// PyTorch's start/end formulas). Made by the Resolve methods, which the Tensor API calls.
/// </summary>
public readonly record struct Pool2dGeometry
{
    /// <summary>N.</summary>
    public int Batch { get; init; }

    /// <summary>C.</summary>
    public int Channels { get; init; }

    /// <summary>H_in.</summary>
    public int InHeight { get; init; }

    /// <summary>W_in.</summary>
    public int InWidth { get; init; }

    /// <summary>H_out.</summary>
    public int OutHeight { get; init; }

    /// <summary>W_out.</summary>
    public int OutWidth { get; init; }

    /// <summary>Window height.</summary>
    public int KernelHeight { get; init; }

    /// <summary>Window width.</summary>
    public int KernelWidth { get; init; }

    /// <summary>Vertical step between windows.</summary>
    public int StrideHeight { get; init; }

    /// <summary>Horizontal step between windows.</summary>
    public int StrideWidth { get; init; }

    /// <summary>Implicit padding above and below (-inf for max pooling, zeros for average pooling).</summary>
    public int PadHeight { get; init; }

    /// <summary>Implicit padding left and right.</summary>
    public int PadWidth { get; init; }

    /// <summary>Vertical spacing of window taps (max pooling only).</summary>
    public int DilationHeight { get; init; }

    /// <summary>Horizontal spacing of window taps.</summary>
    public int DilationWidth { get; init; }

    /// <summary>N * C: the number of independent planes.</summary>
    public int Planes => Batch * Channels;

    /// <summary>H_in * W_in.</summary>
    public int InPlane => InHeight * InWidth;

    /// <summary>H_out * W_out.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>The input shape.</summary>
    public Shape InputShape => new(Batch, Channels, InHeight, InWidth);

    /// <summary>The output shape.</summary>
    public Shape OutputShape => new(Batch, Channels, OutHeight, OutWidth);

    /// <summary>
    /// A windowed pooling (max_pool2d, avg_pool2d) of a rank-4 <paramref name="input"/> with PyTorch's
    /// rules: stride defaults to the kernel, padding is at most half the kernel, and with
    /// <paramref name="ceilMode"/> the last window may hang over the end but must start inside the
    /// input or its left padding.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or padding exceeds half the kernel.</exception>
    /// <exception cref="ShapeMismatchException">The input is not rank 4 or the output would be empty.</exception>
    public static Pool2dGeometry Resolve(string op, Shape input, Size2 kernelSize, Size2? stride, Size2 padding, Size2 dilation, bool ceilMode)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckRank(op, input);
        Size2 step = stride ?? kernelSize;
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"{op}: kernel size must be positive, got {kernelSize}");
        }

        if (step.Height <= 0 || step.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), step, $"{op}: stride must be positive, got {step}");
        }

        if (dilation.Height <= 0 || dilation.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{op}: dilation must be positive, got {dilation}");
        }

        if (padding.Height < 0 || padding.Width < 0 || padding.Height > kernelSize.Height / 2 || padding.Width > kernelSize.Width / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding,
                $"{op}: padding {padding} must be non-negative and at most half of the kernel size {kernelSize}");
        }

        int outH = OutputSize(input[2], kernelSize.Height, padding.Height, step.Height, dilation.Height, ceilMode);
        int outW = OutputSize(input[3], kernelSize.Width, padding.Width, step.Width, dilation.Width, ceilMode);
        if (outH <= 0 || outW <= 0)
        {
            throw new ShapeMismatchException(
                $"{op}: input {input} is too small for kernel {kernelSize} with padding {padding} and dilation {dilation}: the output would be {outH} x {outW}", nameof(input));
        }

        return new Pool2dGeometry
        {
            Batch = input[0],
            Channels = input[1],
            InHeight = input[2],
            InWidth = input[3],
            OutHeight = outH,
            OutWidth = outW,
            KernelHeight = kernelSize.Height,
            KernelWidth = kernelSize.Width,
            StrideHeight = step.Height,
            StrideWidth = step.Width,
            PadHeight = padding.Height,
            PadWidth = padding.Width,
            DilationHeight = dilation.Height,
            DilationWidth = dilation.Width,
        };
    }

    /// <summary>An adaptive pooling of a rank-4 <paramref name="input"/> to <paramref name="outputSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An output size is not positive.</exception>
    /// <exception cref="ShapeMismatchException">The input is not rank 4 or has an empty spatial dimension.</exception>
    public static Pool2dGeometry ResolveAdaptive(string op, Shape input, Size2 outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckRank(op, input);
        if (outputSize.Height <= 0 || outputSize.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, $"{op}: output size must be positive, got {outputSize}");
        }

        if (input[2] == 0 || input[3] == 0)
        {
            throw new ShapeMismatchException($"{op}: input {input} has an empty spatial dimension", nameof(input));
        }

        return new Pool2dGeometry
        {
            Batch = input[0],
            Channels = input[1],
            InHeight = input[2],
            InWidth = input[3],
            OutHeight = outputSize.Height,
            OutWidth = outputSize.Width,
            KernelHeight = 1,
            KernelWidth = 1,
            StrideHeight = 1,
            StrideWidth = 1,
            DilationHeight = 1,
            DilationWidth = 1,
        };
    }

    /// <summary>PyTorch's pooling_output_shape: floor (or ceil) division, then a ceil window that would start in the right padding is dropped.</summary>
    private static int OutputSize(int size, int kernel, int pad, int stride, int dilation, bool ceilMode)
    {
        int numerator = size + (2 * pad) - (dilation * (kernel - 1)) - 1 + (ceilMode ? stride - 1 : 0);
        int output = (int)Math.Floor(numerator / (double)stride) + 1;
        if (ceilMode && (output - 1) * stride >= size + pad)
        {
            output--;
        }

        return output;
    }

    private static void CheckRank(string op, Shape input)
    {
        if (input.Rank != 4)
        {
            throw new ShapeMismatchException($"{op}: input {input} must be [N, C, H, W] (rank 4)", nameof(input));
        }
    }
}
