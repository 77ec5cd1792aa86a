namespace Spamp;

/// <summary>
/// How a tensor's elements sit in its storage: element (i0, i1, ...) lives at
/// <c>Offset + i0*Strides[0] + i1*Strides[1] + ...</c> (in elements). Views (transpose, slice,
/// broadcast) are new layouts over the same storage; nothing is copied. Strides may be zero (a
/// broadcast dimension) but never negative. Immutable.
/// </summary>
public sealed class Layout
{
    private readonly int[] _strides;

    /// <summary>Creates a layout. Callers are trusted: the Tensor API validates before building one.</summary>
    public Layout(Shape shape, int[] strides, int offset)
    {
        if (strides.Length != shape.Rank)
        {
            throw new ArgumentException($"layout: {strides.Length} strides for shape {shape}", nameof(strides));
        }

        Shape = shape;
        _strides = strides;
        Offset = offset;
    }

    /// <summary>A row-major contiguous layout for <paramref name="shape"/> starting at element 0.</summary>
    public static Layout Contiguous(Shape shape) => new(shape, shape.ContiguousStrides(), 0);

    /// <summary>The sizes.</summary>
    public Shape Shape { get; }

    /// <summary>Strides in elements, one per dimension.</summary>
    public ReadOnlySpan<int> Strides => _strides;

    /// <summary>Index of the first element in the storage.</summary>
    public int Offset { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>Number of elements.</summary>
    public int Numel => Shape.Numel;

    /// <summary>A copy of the strides.</summary>
    public int[] StridesArray() => (int[])_strides.Clone();

    /// <summary>
    /// True when the elements are densely packed in row-major order (size-1 dimensions may have any
    /// stride, as in PyTorch), so the tensor is the storage range [Offset, Offset + Numel).
    /// </summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                int size = Shape[i];
                if (size == 1)
                {
                    continue;
                }

                if (_strides[i] != expected)
                {
                    return false;
                }

                expected *= size;
            }

            return true;
        }
    }

    /// <summary>One past the largest storage index this layout can touch (0 for an empty tensor).</summary>
    public int StorageExtent
    {
        get
        {
            if (Numel == 0)
            {
                return Offset;
            }

            long last = Offset;
            for (int i = 0; i < Rank; i++)
            {
                last += (long)(Shape[i] - 1) * _strides[i];
            }

            return (int)(last + 1);
        }
    }

    /// <summary>Reorders dimensions: result dim i is this layout's dim <c>order[i]</c>.</summary>
    public Layout Permute(ReadOnlySpan<int> order)
    {
        var dims = new int[Rank];
        var strides = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            dims[i] = Shape[order[i]];
            strides[i] = _strides[order[i]];
        }

        return new Layout(new Shape(dims), strides, Offset);
    }

    /// <summary>The sub-range [start, start+length) of dimension <paramref name="dim"/>.</summary>
    public Layout Narrow(int dim, int start, int length)
    {
        int[] dims = Shape.ToArray();
        dims[dim] = length;
        return new Layout(new Shape(dims), StridesArray(), Offset + (length == 0 ? 0 : start * _strides[dim]));
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, removing that dimension.</summary>
    public Layout Select(int dim, int index)
    {
        var dims = new List<int>(Shape);
        var strides = new List<int>(_strides);
        dims.RemoveAt(dim);
        strides.RemoveAt(dim);
        return new Layout(new Shape([.. dims]), [.. strides], Offset + index * _strides[dim]);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public Layout Unsqueeze(int dim)
    {
        var dims = new List<int>(Shape);
        var strides = new List<int>(_strides);
        int stride = dim < Rank ? _strides[dim] * Shape[dim] : 1;
        dims.Insert(dim, 1);
        strides.Insert(dim, Math.Max(stride, 1));
        return new Layout(new Shape([.. dims]), [.. strides], Offset);
    }

    /// <summary>Removes dimension <paramref name="dim"/>, which must have size 1.</summary>
    public Layout Squeeze(int dim) => Select(dim, 0);

    /// <summary>
    /// Broadcasts to <paramref name="target"/> (right-aligned): size-1 and missing leading dimensions
    /// get stride 0. The caller has checked that the shapes broadcast.
    /// </summary>
    public Layout Expand(Shape target)
    {
        int lead = target.Rank - Rank;
        var strides = new int[target.Rank];
        for (int i = 0; i < target.Rank; i++)
        {
            int src = i - lead;
            strides[i] = src < 0 || (Shape[src] == 1 && target[i] != 1) ? 0 : _strides[src];
        }

        return new Layout(target, strides, Offset);
    }

    /// <summary>
    /// A layout with <paramref name="newShape"/> over the same elements in the same row-major order,
    /// if one exists without copying (PyTorch's view rule: each group of old dimensions merged or
    /// split must be contiguous among itself). Returns null when a copy is needed.
    /// </summary>
    public Layout? TryView(Shape newShape)
    {
        if (newShape.Numel != Numel)
        {
            return null;
        }

        if (IsContiguous)
        {
            return new Layout(newShape, newShape.ContiguousStrides(), Offset);
        }

        if (Numel == 0)
        {
            return new Layout(newShape, newShape.ContiguousStrides(), Offset);
        }

        var newStrides = new int[newShape.Rank];
        int viewDim = newShape.Rank - 1;
        long chunkBaseStride = Rank > 0 ? _strides[Rank - 1] : 1;
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int tensorDim = Rank - 1; tensorDim >= 0; tensorDim--)
        {
            tensorNumel *= Shape[tensorDim];
            bool chunkEnds = tensorDim == 0 ||
                (Shape[tensorDim - 1] != 1 && _strides[tensorDim - 1] != tensorNumel * chunkBaseStride);
            if (chunkEnds)
            {
                while (viewDim >= 0 && (viewNumel < tensorNumel || newShape[viewDim] == 1))
                {
                    newStrides[viewDim] = (int)(viewNumel * chunkBaseStride);
                    viewNumel *= newShape[viewDim];
                    viewDim--;
                }

                if (viewNumel != tensorNumel)
                {
                    return null;
                }

                if (tensorDim > 0)
                {
                    chunkBaseStride = _strides[tensorDim - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }

        return viewDim == -1 ? new Layout(newShape, newStrides, Offset) : null;
    }

    /// <summary>The storage index of the element at <paramref name="index"/> (one entry per dim).</summary>
    public int IndexOf(ReadOnlySpan<int> index)
    {
        int pos = Offset;
        for (int i = 0; i < index.Length; i++)
        {
            pos += index[i] * _strides[i];
        }

        return pos;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Shape} strides {Shape.Format(_strides)} offset {Offset}";
}
