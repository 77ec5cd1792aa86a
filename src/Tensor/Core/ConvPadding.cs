namespace Spamp;

/// <summary>How a padding argument was given: explicit sizes, or one of PyTorch's two strings.</summary>
public enum ConvPaddingMode
{
    /// <summary>Explicit zero padding on each side (<see cref="ConvPadding.Size"/>).</summary>
    Explicit,

    /// <summary>PyTorch's <c>padding='same'</c>: the output has the input's size (stride 1 only).</summary>
    Same,

    /// <summary>PyTorch's <c>padding='valid'</c>: no padding.</summary>
    Valid,
}

/// <summary>
/// The padding argument of a convolution, as in torch.nn.functional.conv2d: an <see cref="int"/> or a
/// (height, width) pair of zeros added on both sides, or <see cref="Same"/> / <see cref="Valid"/>.
/// <para>
/// 'same' pads a total of dilation*(kernel-1) per dimension; when that is odd (an even kernel) the
/// extra element goes to the bottom/right, exactly as PyTorch does.
/// </para>
/// </summary>
public readonly record struct ConvPadding
{
    private ConvPadding(ConvPaddingMode mode, Size2 size)
    {
        Mode = mode;
        Size = size;
    }

    /// <summary>Explicit sizes, or 'same'/'valid'.</summary>
    public ConvPaddingMode Mode { get; }

    /// <summary>The zeros added before and after each spatial dimension (explicit mode; zero otherwise).</summary>
    public Size2 Size { get; }

    /// <summary>PyTorch's <c>padding='same'</c>.</summary>
    public static ConvPadding Same { get; } = new(ConvPaddingMode.Same, 0);

    /// <summary>PyTorch's <c>padding='valid'</c> (no padding).</summary>
    public static ConvPadding Valid { get; } = new(ConvPaddingMode.Valid, 0);

    /// <summary>The same padding on both spatial dimensions.</summary>
    public static implicit operator ConvPadding(int padding) => new(ConvPaddingMode.Explicit, padding);

    /// <summary>(height, width) padding.</summary>
    public static implicit operator ConvPadding((int Height, int Width) padding) => new(ConvPaddingMode.Explicit, padding);

    /// <summary>Explicit padding (the named form of the implicit conversions).</summary>
    public static ConvPadding FromSize2(Size2 padding) => new(ConvPaddingMode.Explicit, padding);

    /// <summary>The same padding on both dimensions (the named form of the implicit conversion).</summary>
    public static ConvPadding FromInt32(int padding) => new(ConvPaddingMode.Explicit, padding);

    /// <summary>(height, width) padding (the named form of the implicit conversion).</summary>
    public static ConvPadding FromValueTuple((int Height, int Width) padding) => new(ConvPaddingMode.Explicit, padding);

    /// <inheritdoc/>
    public override string ToString() => Mode switch
    {
        ConvPaddingMode.Same => "'same'",
        ConvPaddingMode.Valid => "'valid'",
        _ => Size.ToString(),
    };
}
