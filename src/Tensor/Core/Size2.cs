namespace Spamp;

/// <summary>
/// A (height, width) pair for 2-d convolution and pooling arguments, as PyTorch's <c>_size_2_t</c>:
/// an <see cref="int"/> converts to the same value for both dimensions (<c>stride: 2</c>), a tuple gives
/// them separately (<c>kernelSize: (3, 5)</c>).
/// </summary>
/// <param name="Height">The value along the height (second-to-last) dimension.</param>
/// <param name="Width">The value along the width (last) dimension.</param>
public readonly record struct Size2(int Height, int Width)
{
    /// <summary>The same value for both dimensions.</summary>
    public static implicit operator Size2(int value) => new(value, value);

    /// <summary>(height, width).</summary>
    public static implicit operator Size2((int Height, int Width) value) => new(value.Height, value.Width);

    /// <summary>The same value for both dimensions (the named form of the implicit conversion).</summary>
    public static Size2 FromInt32(int value) => new(value, value);

    /// <summary>(height, width) (the named form of the implicit conversion).</summary>
    public static Size2 FromValueTuple((int Height, int Width) value) => new(value.Height, value.Width);

    /// <summary>True when both values are equal (the form PyTorch prints as a single int).</summary>
    public bool IsSquare => Height == Width;

    /// <inheritdoc/>
    public override string ToString() => IsSquare ? $"{Height}" : $"({Height}, {Width})";
}
