namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>The entries <paramref name="index"/> (a 1-D integer tensor) of dimension <paramref name="dim"/>.</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        int axis = Shape.NormalizeDim(dim, "index_select");
        using Tensor idx = CheckIndexVector("index_select", index, Shape[axis], axis);
        int[] dims = Shape.ToArray();
        dims[axis] = idx.Numel;
        Tensor result = Empty(new Shape(dims), DType, Device);
        Backend.IndexSelect(Storage, Layout, axis, idx.Storage, idx.Numel, result.Storage);
        return result;
    }

    /// <summary>
    /// In place: for each i, adds slice i of <paramref name="source"/> along <paramref name="dim"/> to
    /// slice <c>index[i]</c> of this tensor (duplicates accumulate). This tensor must be contiguous.
    /// </summary>
    public void IndexAddInPlace(int dim, Tensor index, Tensor source)
    {
        CheckSameDevice("index_add_", this, source);
        int axis = Shape.NormalizeDim(dim, "index_add_");
        CheckWritableDense("index_add_");
        using Tensor idx = CheckIndexVector("index_add_", index, Shape[axis], axis);
        int[] expected = Shape.ToArray();
        expected[axis] = idx.Numel;
        if (source.Shape != new Shape(expected))
        {
            throw new ShapeMismatchException($"index_add_: source has shape {source.Shape}, expected {Shape.Format(expected)} for target {Shape}, dim {axis} and {idx.Numel} indices", nameof(source));
        }

        using Tensor src = source.To(DType);
        Backend.IndexAdd(Storage, Layout, axis, idx.Storage, idx.Numel, src.Storage, src.Layout);
    }

    /// <summary>out[i][j] = this[index[i][j]][j] for dim 0 (and likewise for any dim): torch.gather.</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        int axis = Shape.NormalizeDim(dim, "gather");
        using Tensor idx = CheckIndexTensor("gather", index, this, axis);
        Tensor result = Empty(idx.Shape, DType, Device);
        Backend.Gather(Storage, Layout, axis, idx.Storage, idx.Layout, result.Storage);
        return result;
    }

    /// <summary>
    /// In place: this[index[i][j]][j] += source[i][j] for dim 0 (and likewise for any dim), duplicates
    /// accumulating: torch.scatter_add_. This tensor must be contiguous.
    /// </summary>
    public void ScatterAddInPlace(int dim, Tensor index, Tensor source)
    {
        CheckSameDevice("scatter_add_", this, source);
        int axis = Shape.NormalizeDim(dim, "scatter_add_");
        CheckWritableDense("scatter_add_");
        using Tensor idx = CheckIndexTensor("scatter_add_", index, this, axis);
        for (int d = 0; d < idx.Rank; d++)
        {
            if (d >= source.Rank || idx.Shape[d] > source.Shape[d])
            {
                throw new ShapeMismatchException($"scatter_add_: index {idx.Shape} is larger than source {source.Shape} in dimension {d}", nameof(index));
            }
        }

        using Tensor cast = source.To(DType);
        using Tensor src = NarrowTo(cast, idx.Shape);
        Backend.ScatterAdd(Storage, Layout, axis, idx.Storage, idx.Layout, src.Storage, src.Layout);
    }

    /// <summary>A copy of <paramref name="self"/> with <paramref name="source"/> scatter-added (out of place).</summary>
    public static Tensor ScatterAdd(Tensor self, int dim, Tensor index, Tensor source)
    {
        Tensor result = self.Clone();
        try
        {
            result.ScatterAddInPlace(dim, index, source);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Concatenates along <paramref name="dim"/>; all other sizes must agree; dtypes promote.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("cat: expected at least one tensor", nameof(tensors));
        }

        Tensor first = tensors[0];
        int axis = first.Shape.NormalizeDim(dim, "cat");
        DType dtype = first.DType;
        int total = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            Tensor x = tensors[t];
            CheckSameDevice("cat", first, x);
            if (x.Rank != first.Rank)
            {
                throw new ShapeMismatchException($"cat: tensor 0 has shape {first.Shape} but tensor {t} has shape {x.Shape} (rank {x.Rank} vs {first.Rank})", nameof(tensors));
            }

            for (int d = 0; d < x.Rank; d++)
            {
                if (d != axis && x.Shape[d] != first.Shape[d])
                {
                    throw new ShapeMismatchException($"cat: tensor 0 has shape {first.Shape} but tensor {t} has shape {x.Shape}: sizes differ in dimension {d}, not only in the cat dimension {axis}", nameof(tensors));
                }
            }

            dtype = DTypeInfo.Promote(dtype, x.DType);
            total += x.Rank == 0 ? 1 : x.Shape[axis];
        }

        if (first.Rank == 0)
        {
            throw new ShapeMismatchException("cat: zero-dimensional tensors cannot be concatenated; use Stack", nameof(tensors));
        }

        int[] dims = first.Shape.ToArray();
        dims[axis] = total;
        Tensor result = Empty(new Shape(dims), dtype, first.Device);
        int offset = 0;
        foreach (Tensor x in tensors)
        {
            int size = x.Shape[axis];
            using Tensor cast = x.To(dtype);
            Layout slot = result.Layout.Narrow(axis, offset, size);
            result.Backend.Copy(cast.Storage, cast.Layout, result.Storage, slot);
            offset += size;
        }

        return result;
    }

    /// <summary>Stacks equally shaped tensors along a new dimension <paramref name="dim"/>.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("stack: expected at least one tensor", nameof(tensors));
        }

        for (int t = 1; t < tensors.Count; t++)
        {
            if (tensors[t].Shape != tensors[0].Shape)
            {
                throw new ShapeMismatchException($"stack: all tensors must have one shape; tensor 0 has {tensors[0].Shape}, tensor {t} has {tensors[t].Shape}", nameof(tensors));
            }
        }

        var expanded = new Tensor[tensors.Count];
        try
        {
            for (int t = 0; t < tensors.Count; t++)
            {
                expanded[t] = tensors[t].Unsqueeze(dim);
            }

            return Cat(expanded, dim);
        }
        finally
        {
            foreach (Tensor? x in expanded)
            {
                x?.Dispose();
            }
        }
    }

    /// <summary>Splits into views of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int axis = Shape.NormalizeDim(dim, "split");
        if (splitSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(splitSize), splitSize, "split: size must be positive");
        }

        int size = Shape[axis];
        int count = Math.Max(1, (size + splitSize - 1) / splitSize);
        var parts = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            int start = i * splitSize;
            parts[i] = Narrow(axis, start, Math.Min(splitSize, size - start));
        }

        return parts;
    }

    /// <summary>Splits into views with the given sizes along <paramref name="dim"/> (they must sum to its size).</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int axis = Shape.NormalizeDim(dim, "split");
        if (sizes.Sum() != Shape[axis] || sizes.Any(s => s < 0))
        {
            throw new ShapeMismatchException($"split: sizes {Shape.Format(sizes)} do not sum to {Shape[axis]}, the size of dimension {axis} of {Shape}", nameof(sizes));
        }

        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Narrow(axis, start, sizes[i]);
            start += sizes[i];
        }

        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal views along <paramref name="dim"/>.</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunks), chunks, "chunk: the number of chunks must be positive");
        }

        int axis = Shape.NormalizeDim(dim, "chunk");
        return Split(Math.Max(1, (Shape[axis] + chunks - 1) / chunks), axis);
    }

    /// <summary>
    /// One-hot encoding of an integer tensor: a new last dimension of size
    /// <paramref name="numClasses"/> (max + 1 when -1) holding 1 at each index (Int64, as in PyTorch).
    /// </summary>
    public static Tensor OneHot(Tensor indices, int numClasses = -1)
    {
        if (!indices.DType.IsInteger())
        {
            throw new DTypeMismatchException($"one_hot: indices must be an integer tensor, got {indices.DType.Name()} of shape {indices.Shape}", nameof(indices));
        }

        long min = 0, max = -1;
        if (indices.Numel > 0)
        {
            using Tensor lo = indices.Amin(), hi = indices.Amax();
            min = (long)lo.ItemAsDouble();
            max = (long)hi.ItemAsDouble();
        }

        if (numClasses == -1)
        {
            numClasses = (int)(max + 1);
        }

        if (min < 0 || max >= numClasses)
        {
            throw new ArgumentOutOfRangeException(nameof(indices), $"one_hot: indices range over [{min}, {max}] but numClasses is {numClasses}");
        }

        using Tensor classes = Arange(0, numClasses, 1, indices.DType, indices.Device);
        using Tensor column = indices.Unsqueeze(-1);
        using Tensor hot = Eq(column, classes);
        return hot.To(DType.Int64);
    }

    private void CheckWritableDense(string op)
    {
        if (!IsDenseFromStart)
        {
            throw new ArgumentException($"{op}: the target of shape {Shape} must be contiguous from the start of its storage; call Contiguous() or Clone() first");
        }
    }

    /// <summary>Validates a 1-D index and returns it as a contiguous Int64 tensor.</summary>
    private static Tensor CheckIndexVector(string op, Tensor index, int size, int axis)
    {
        if (!index.DType.IsInteger())
        {
            throw new DTypeMismatchException($"{op}: index must be an integer tensor, got {index.DType.Name()}", nameof(index));
        }

        if (index.Rank > 1)
        {
            throw new ShapeMismatchException($"{op}: index must be 1-D, got shape {index.Shape}", nameof(index));
        }

        Tensor idx = index.ContiguousAs(DType.Int64);
        CheckRange(op, idx, size, axis);
        return idx;
    }

    /// <summary>Validates an index with the target's rank (gather/scatter) and returns it as Int64.</summary>
    private static Tensor CheckIndexTensor(string op, Tensor index, Tensor target, int axis)
    {
        if (!index.DType.IsInteger())
        {
            throw new DTypeMismatchException($"{op}: index must be an integer tensor, got {index.DType.Name()}", nameof(index));
        }

        if (index.Rank != target.Rank)
        {
            throw new ShapeMismatchException($"{op}: index {index.Shape} and input {target.Shape} must have the same rank", nameof(index));
        }

        for (int d = 0; d < index.Rank; d++)
        {
            if (d != axis && index.Shape[d] > target.Shape[d])
            {
                throw new ShapeMismatchException($"{op}: index {index.Shape} is larger than input {target.Shape} in dimension {d}", nameof(index));
            }
        }

        Tensor idx = index.To(DType.Int64);
        CheckRange(op, idx, target.Rank == 0 ? 1 : target.Shape[axis], axis);
        return idx;
    }

    private static void CheckRange(string op, Tensor index, int size, int axis)
    {
        if (index.Numel == 0)
        {
            return;
        }

        using Tensor lo = index.Amin(), hi = index.Amax();
        long min = (long)lo.ItemAsDouble(), max = (long)hi.ItemAsDouble();
        if (min < 0 || max >= size)
        {
            index.Dispose();
            throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index values range over [{min}, {max}], outside [0, {size - 1}] for dimension {axis} of size {size}");
        }
    }

    private static Tensor NarrowTo(Tensor x, Shape shape)
    {
        Layout layout = x.Layout;
        for (int d = 0; d < shape.Rank; d++)
        {
            if (x.Shape[d] != shape[d])
            {
                layout = layout.Narrow(d, 0, shape[d]);
            }
        }

        return x.View(layout);
    }
}
