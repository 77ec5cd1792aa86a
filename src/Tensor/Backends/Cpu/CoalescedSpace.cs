namespace Spamp.Backends.Cpu;

/// <summary>
/// A set of dimensions of one operand, coalesced (<see cref="Dims"/> and <see cref="Strides"/>,
/// outermost first, at least one dimension): the reduced axes of a reduction, or the axes before
/// an indexed axis.
/// </summary>
internal sealed class CoalescedSpace
{
    public CoalescedSpace(StridedLoop loop)
    {
        Dims = new int[loop.Rank];
        Strides = new int[loop.Rank];
        for (int d = 0; d < loop.Rank; d++)
        {
            Dims[d] = loop.Dim(d);
            Strides[d] = loop.Stride(0, d);
        }

        Count = loop.Numel;
    }

    /// <summary>The space of dimensions <paramref name="dims"/> with <paramref name="strides"/> (possibly none: one element).</summary>
    public static CoalescedSpace Of(ReadOnlySpan<int> dims, ReadOnlySpan<int> strides)
    {
        var shape = new Shape(dims.ToArray());
        return new CoalescedSpace(StridedLoop.Create(shape, new Layout(shape, strides.ToArray(), 0)));
    }

    public int[] Dims { get; }

    public int[] Strides { get; }

    /// <summary>Number of elements.</summary>
    public int Count { get; }

    public int Rank => Dims.Length;

    public int InnerSize => Dims[^1];

    public int InnerStride => Strides[^1];

    /// <summary>Number of inner rows (the product of the outer dimensions).</summary>
    public int Rows => Count / Math.Max(InnerSize, 1);

    /// <summary>Relative storage offset of the element with row-major linear index <paramref name="index"/>.</summary>
    public int OffsetOf(int index)
    {
        int offset = 0;
        for (int d = Rank - 1; d >= 0; d--)
        {
            offset += index % Dims[d] * Strides[d];
            index /= Dims[d];
        }

        return offset;
    }

    /// <summary>Relative storage offset of inner row <paramref name="row"/>.</summary>
    public int RowOffset(int row)
    {
        int offset = 0;
        for (int d = Rank - 2; d >= 0; d--)
        {
            offset += row % Dims[d] * Strides[d];
            row /= Dims[d];
        }

        return offset;
    }
}
