namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements with a new shape, without copying; one size may be -1 (inferred). Throws
    /// when the layout makes a copy-free view impossible (use <see cref="Reshape"/>).
    /// </summary>
    public Tensor View(params int[] shape)
    {
        Shape target = InferShape(shape, "view");
        Layout layout = Layout.TryView(target) ?? throw new ShapeMismatchException(
            $"view: a tensor of shape {Shape} with strides {Shape.Format(Layout.Strides)} cannot be viewed as {target} without a copy; use Reshape");
        return View(layout);
    }

    /// <summary>The same elements with a new shape: a view when possible, else a contiguous copy. One size may be -1.</summary>
    public Tensor Reshape(params int[] shape)
    {
        Shape target = InferShape(shape, "reshape");
        Layout? layout = Layout.TryView(target);
        if (layout is not null)
        {
            return View(layout);
        }

        using Tensor copy = Contiguous();
        return copy.View(Layout.Contiguous(target));
    }

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0)
        {
            return Reshape(1);
        }

        int start = Shape.NormalizeDim(startDim, "flatten", nameof(startDim));
        int end = Shape.NormalizeDim(endDim, "flatten", nameof(endDim));
        if (start > end)
        {
            throw new ArgumentException($"flatten: startDim {startDim} comes after endDim {endDim} for shape {Shape}", nameof(startDim));
        }

        var dims = new List<int>();
        int merged = 1;
        for (int i = 0; i < Rank; i++)
        {
            if (i < start || i > end)
            {
                dims.Add(Shape[i]);
            }
            else
            {
                merged *= Shape[i];
                if (i == end)
                {
                    dims.Add(merged);
                }
            }
        }

        return Reshape([.. dims]);
    }

    /// <summary>Reorders the dimensions: result dimension i is this tensor's dimension <c>dims[i]</c>.</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank)
        {
            throw new ShapeMismatchException($"permute: {Shape.Format(dims)} has {dims.Length} entries, tensor of shape {Shape} has rank {Rank}", nameof(dims));
        }

        var order = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            order[i] = Shape.NormalizeDim(dims[i], "permute", nameof(dims));
            if (seen[order[i]])
            {
                throw new ArgumentException($"permute: dimension {order[i]} appears twice in {Shape.Format(dims)}", nameof(dims));
            }

            seen[order[i]] = true;
        }

        return View(Layout.Permute(order));
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        if (Rank < 2 && dim0 is 0 or -1 && dim1 is 0 or -1)
        {
            return View(Layout);
        }

        int a = Shape.NormalizeDim(dim0, "transpose", nameof(dim0));
        int b = Shape.NormalizeDim(dim1, "transpose", nameof(dim1));
        var order = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            order[i] = i == a ? b : i == b ? a : i;
        }

        return View(Layout.Permute(order));
    }

    /// <summary>The transpose of a matrix (rank 2), or the tensor itself for rank 0 and 1 (PyTorch's .T for those ranks).</summary>
    public Tensor T => Rank < 2 ? View(Layout) : Rank == 2 ? Transpose(0, 1)
        : throw new ShapeMismatchException($"T: tensor of shape {Shape} has rank {Rank}; use Transpose or Permute for rank > 2");

    /// <summary>Elements [start, start+length) of dimension <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shape.NormalizeDim(dim, "narrow");
        int size = Shape[d];
        if (start < 0)
        {
            start += size;
        }

        if (start < 0 || length < 0 || start + length > size)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"narrow: start {start} and length {length} do not fit dimension {d} of size {size} (shape {Shape})");
        }

        return View(Layout.Narrow(d, start, length));
    }

    /// <summary>
    /// Python-style slice <c>[start:end:step]</c> of one dimension (a view). Negative start and end
    /// count from the end and out-of-range bounds are clamped, as in PyTorch; step must be positive.
    /// </summary>
    public Tensor Slice(int dim, int? start = null, int? end = null, int step = 1)
    {
        int d = Shape.NormalizeDim(dim, "slice");
        if (step <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "slice: step must be positive");
        }

        int size = Shape[d];
        int s = Clamp(start ?? 0), e = Clamp(end ?? size);
        int length = e > s ? (e - s + step - 1) / step : 0;
        int[] dims = Shape.ToArray();
        int[] strides = Layout.StridesArray();
        dims[d] = length;
        int offset = Layout.Offset + (length == 0 ? 0 : s * strides[d]);
        strides[d] *= step;
        return View(new Layout(new Shape(dims), strides, offset));

        int Clamp(int v) => Math.Clamp(v < 0 ? v + size : v, 0, size);
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, removing that dimension (a view).</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shape.NormalizeDim(dim, "select");
        int size = Shape[d];
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"select: index {index} is out of range for dimension {d} of size {size} (shape {Shape})");
        }

        return View(Layout.Select(d, i));
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (which may equal the rank).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int rank = Rank + 1;
        if (dim < -rank || dim >= rank)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"unsqueeze: dim {dim} is out of range for a tensor of shape {Shape}; expected [{-rank}, {rank - 1}]");
        }

        return View(Layout.Unsqueeze(dim < 0 ? dim + rank : dim));
    }

    /// <summary>Removes dimension <paramref name="dim"/> if it has size 1 (otherwise returns an identical view, as PyTorch does).</summary>
    public Tensor Squeeze(int dim)
    {
        if (Rank == 0)
        {
            return View(Layout);
        }

        int d = Shape.NormalizeDim(dim, "squeeze");
        return View(Shape[d] == 1 ? Layout.Squeeze(d) : Layout);
    }

    /// <summary>Removes every dimension of size 1.</summary>
    public Tensor Squeeze()
    {
        Layout layout = Layout;
        for (int d = Rank - 1; d >= 0; d--)
        {
            if (Shape[d] == 1)
            {
                layout = layout.Squeeze(d);
            }
        }

        return View(layout);
    }

    /// <summary>
    /// Broadcasts to <paramref name="shape"/> without copying (size-1 dimensions repeat through a
    /// zero stride; -1 keeps a size). Writing to the result is undefined, as in PyTorch.
    /// </summary>
    public Tensor Expand(params int[] shape)
    {
        int lead = shape.Length - Rank;
        if (lead < 0)
        {
            throw new ShapeMismatchException($"expand: target {Shape.Format(shape)} has fewer dimensions than the tensor's shape {Shape}", nameof(shape));
        }

        var dims = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            int own = i < lead ? 1 : Shape[i - lead];
            int want = shape[i] == -1 && i >= lead ? own : shape[i];
            if (want < 0 || (own != want && own != 1))
            {
                throw new ShapeMismatchException(
                    $"expand: the tensor of shape {Shape} cannot be expanded to {Shape.Format(shape)}: dimension {i} has size {own}, which is neither 1 nor {shape[i]}", nameof(shape));
            }

            dims[i] = want;
        }

        return View(Layout.Expand(new Shape(dims)));
    }

    /// <summary>Broadcasts to the shape of <paramref name="other"/>.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.Shape.ToArray());

    /// <summary>This tensor when it is already contiguous (a new reference), else a contiguous copy.</summary>
    public Tensor Contiguous() => IsContiguous ? View(Layout) : Clone();

    /// <summary>A contiguous copy with its own storage.</summary>
    public Tensor Clone()
    {
        Tensor copy = Empty(Shape, DType, Device);
        Backend.Copy(Storage, Layout, copy.Storage, copy.Layout);
        return copy;
    }

    /// <summary>A new reference to the same storage and layout (the caller disposes it independently).</summary>
    public Tensor Alias() => View(Layout);

    private Shape InferShape(int[] shape, string op)
    {
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (inferred >= 0)
                {
                    throw new ShapeMismatchException($"{op}: only one dimension can be -1, got {Shape.Format(shape)}", nameof(shape));
                }

                inferred = i;
            }
            else if (shape[i] < 0)
            {
                throw new ShapeMismatchException($"{op}: invalid size {shape[i]} in {Shape.Format(shape)}", nameof(shape));
            }
            else
            {
                known *= shape[i];
            }
        }

        int[] dims = (int[])shape.Clone();
        if (inferred >= 0)
        {
            if (known == 0 || Numel % known != 0)
            {
                throw new ShapeMismatchException($"{op}: shape {Shape.Format(shape)} is invalid for a tensor of shape {Shape} ({Numel} elements)", nameof(shape));
            }

            dims[inferred] = (int)(Numel / known);
        }
        else if (known != Numel)
        {
            throw new ShapeMismatchException($"{op}: shape {Shape.Format(shape)} ({known} elements) is invalid for a tensor of shape {Shape} ({Numel} elements)", nameof(shape));
        }

        return new Shape(dims);
    }
}
