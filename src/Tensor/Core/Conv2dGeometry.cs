namespace Spamp;

/// <summary>
/// Every size of one 2-d convolution after its arguments were resolved and checked: NCHW input
/// [Batch, InChannels, InHeight, InWidth], weight [OutChannels, InChannels/Groups, KernelHeight,
/// KernelWidth], output [Batch, OutChannels, OutHeight, OutWidth]. Padding may differ before and after
/// a dimension ('same' with an even kernel); the backends use the leading pads and the output size.
/// <para>
/// Made by <see cref="Resolve"/>, which the Tensor API calls, so a backend receives only valid
/// geometries; the backward entry points take the geometry of their forward.
/// </para>
/// </summary>
public readonly record struct Conv2dGeometry
{
    /// <summary>N.</summary>
    public int Batch { get; init; }

    /// <summary>C_in.</summary>
    public int InChannels { get; init; }

    /// <summary>H_in.</summary>
    public int InHeight { get; init; }

    /// <summary>W_in.</summary>
    public int InWidth { get; init; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; init; }

    /// <summary>H_out.</summary>
    public int OutHeight { get; init; }

    /// <summary>W_out.</summary>
    public int OutWidth { get; init; }

    /// <summary>kH.</summary>
    public int KernelHeight { get; init; }

    /// <summary>kW.</summary>
    public int KernelWidth { get; init; }

    /// <summary>Vertical stride.</summary>
    public int StrideHeight { get; init; }

    /// <summary>Horizontal stride.</summary>
    public int StrideWidth { get; init; }

    /// <summary>Zero rows added above the input.</summary>
    public int PadTop { get; init; }

    /// <summary>Zero rows added below the input.</summary>
    public int PadBottom { get; init; }

    /// <summary>Zero columns added left of the input.</summary>
    public int PadLeft { get; init; }

    /// <summary>Zero columns added right of the input.</summary>
    public int PadRight { get; init; }

    /// <summary>Vertical spacing of kernel taps.</summary>
    public int DilationHeight { get; init; }

    /// <summary>Horizontal spacing of kernel taps.</summary>
    public int DilationWidth { get; init; }

    /// <summary>Number of channel groups (InChannels and OutChannels are multiples of it).</summary>
    public int Groups { get; init; }

    /// <summary>Input channels seen by one filter (C_in / groups).</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Filters per group (C_out / groups).</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Length of one unrolled receptive field: (C_in / groups) * kH * kW (the GEMM depth).</summary>
    public int PatchSize => InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>H_in * W_in.</summary>
    public int InPlane => InHeight * InWidth;

    /// <summary>H_out * W_out.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>The input shape.</summary>
    public Shape InputShape => new(Batch, InChannels, InHeight, InWidth);

    /// <summary>The weight shape.</summary>
    public Shape WeightShape => new(OutChannels, InChannelsPerGroup, KernelHeight, KernelWidth);

    /// <summary>The output shape.</summary>
    public Shape OutputShape => new(Batch, OutChannels, OutHeight, OutWidth);

    /// <summary>
    /// A 1x1 kernel with stride 1 and no padding: the input image already is the unrolled matrix, so
    /// the CPU backend skips im2col/col2im.
    /// </summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1
        && PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0;

    /// <summary>
    /// Resolves and checks the arguments of a convolution of a rank-4 <paramref name="input"/> with a
    /// rank-4 <paramref name="weight"/>, with torch.nn.functional.conv2d's rules; errors name
    /// <paramref name="op"/>, the argument and the shapes.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit (channels, groups, kernel larger than the padded input).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A stride, dilation or group count is not positive, or a padding is negative.</exception>
    public static Conv2dGeometry Resolve(string op, Shape input, Shape weight, Size2 stride, ConvPadding padding, Size2 dilation, int groups)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank != 4)
        {
            throw new ShapeMismatchException($"{op}: input {input} must be [N, C_in, H, W] (rank 4)", nameof(input));
        }

        if (weight.Rank != 4)
        {
            throw new ShapeMismatchException($"{op}: weight {weight} must be [C_out, C_in/groups, kH, kW] (rank 4)", nameof(weight));
        }

        if (stride.Height <= 0 || stride.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{op}: stride must be positive, got {stride}");
        }

        if (dilation.Height <= 0 || dilation.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{op}: dilation must be positive, got {dilation}");
        }

        if (groups <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be positive, got {groups}");
        }

        int channels = input[1], outChannels = weight[0], kh = weight[2], kw = weight[3];
        if (channels % groups != 0)
        {
            throw new ShapeMismatchException($"{op}: groups={groups} does not divide the {channels} input channels of input {input}", nameof(groups));
        }

        if (outChannels % groups != 0)
        {
            throw new ShapeMismatchException($"{op}: groups={groups} does not divide the {outChannels} output channels of weight {weight}", nameof(groups));
        }

        if (weight[1] * groups != channels)
        {
            throw new ShapeMismatchException(
                $"{op}: with groups={groups}, weight {weight} expects input to have {weight[1] * groups} channels, but input {input} has {channels}", nameof(input));
        }

        if (kh <= 0 || kw <= 0 || outChannels <= 0)
        {
            throw new ShapeMismatchException($"{op}: weight {weight} has an empty dimension", nameof(weight));
        }

        int spanH = (dilation.Height * (kh - 1)) + 1, spanW = (dilation.Width * (kw - 1)) + 1;
        int top, bottom, left, right;
        switch (padding.Mode)
        {
            case ConvPaddingMode.Same:
                if (stride.Height != 1 || stride.Width != 1)
                {
                    throw new ArgumentException($"{op}: padding='same' is not supported for strided convolutions (stride {stride})", nameof(padding));
                }

                // PyTorch: total = dilation*(k-1); the smaller half before, the rest after.
                top = (spanH - 1) / 2;
                bottom = spanH - 1 - top;
                left = (spanW - 1) / 2;
                right = spanW - 1 - left;
                break;
            case ConvPaddingMode.Valid:
                top = bottom = left = right = 0;
                break;
            default:
                if (padding.Size.Height < 0 || padding.Size.Width < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be non-negative, got {padding}");
                }

                top = bottom = padding.Size.Height;
                left = right = padding.Size.Width;
                break;
        }

        int paddedH = input[2] + top + bottom, paddedW = input[3] + left + right;
        if (spanH > paddedH || spanW > paddedW)
        {
            throw new ShapeMismatchException(
                $"{op}: padded input size per channel ({paddedH} x {paddedW}) of input {input} is smaller than the dilated kernel ({spanH} x {spanW}) of weight {weight}", nameof(weight));
        }

        return new Conv2dGeometry
        {
            Batch = input[0],
            InChannels = channels,
            InHeight = input[2],
            InWidth = input[3],
            OutChannels = outChannels,
            KernelHeight = kh,
            KernelWidth = kw,
            StrideHeight = stride.Height,
            StrideWidth = stride.Width,
            PadTop = top,
            PadBottom = bottom,
            PadLeft = left,
            PadRight = right,
            DilationHeight = dilation.Height,
            DilationWidth = dilation.Width,
            Groups = groups,
            OutHeight = ((paddedH - spanH) / stride.Height) + 1,
            OutWidth = ((paddedW - spanW) / stride.Width) + 1,
        };
    }

    /// <summary>
    /// Resolves a 1-d convolution (torch.nn.functional.conv1d) of a rank-3 [N, C_in, L] input with a
    /// [C_out, C_in/groups, k] weight as a 2-d convolution of height 1 (input [N, C_in, 1, L]).
    /// </summary>
    /// <exception cref="ShapeMismatchException">The ranks or sizes do not fit.</exception>
    /// <exception cref="ArgumentException">Padding was given as an unequal (height, width) pair.</exception>
    public static Conv2dGeometry ResolveConv1d(string op, Shape input, Shape weight, int stride, ConvPadding padding, int dilation, int groups)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank != 3)
        {
            throw new ShapeMismatchException($"{op}: input {input} must be [N, C_in, L] (rank 3)", nameof(input));
        }

        if (weight.Rank != 3)
        {
            throw new ShapeMismatchException($"{op}: weight {weight} must be [C_out, C_in/groups, k] (rank 3)", nameof(weight));
        }

        if (padding.Mode == ConvPaddingMode.Explicit && !padding.Size.IsSquare)
        {
            throw new ArgumentException($"{op}: padding must be a single int, 'same' or 'valid', got {padding}", nameof(padding));
        }

        ConvPadding padding2d = padding.Mode == ConvPaddingMode.Explicit ? (0, padding.Size.Width) : padding;
        return Resolve(op, new Shape(input[0], input[1], 1, input[2]), new Shape(weight[0], weight[1], 1, weight[2]),
            (1, stride), padding2d, (1, dilation), groups);
    }
}
