using Spamp.Backends;

namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>Sum over <paramref name="dims"/> (all dimensions when null). Integers and bools sum as Int64.</summary>
    public Tensor Sum(int[]? dims = null, bool keepDim = false) => RunReduce(ReduceOp.Sum, dims, keepDim, "sum");

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean over <paramref name="dims"/> (all when null). Integers average as float32.</summary>
    public Tensor Mean(int[]? dims = null, bool keepDim = false) => RunReduce(ReduceOp.Mean, dims, keepDim, "mean");

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Product over <paramref name="dims"/> (all when null).</summary>
    public Tensor Prod(int[]? dims = null, bool keepDim = false) => RunReduce(ReduceOp.Prod, dims, keepDim, "prod");

    /// <summary>Maximum over <paramref name="dims"/> (all when null), NaN-propagating (PyTorch's amax).</summary>
    public Tensor Amax(int[]? dims = null, bool keepDim = false) => RunReduce(ReduceOp.Max, dims, keepDim, "amax");

    /// <summary>Minimum over <paramref name="dims"/> (all when null), NaN-propagating (PyTorch's amin).</summary>
    public Tensor Amin(int[]? dims = null, bool keepDim = false) => RunReduce(ReduceOp.Min, dims, keepDim, "amin");

    /// <summary>The maximum over one dimension and the index of its first occurrence (PyTorch's max(dim)).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => RunArgReduce(true, dim, keepDim, "max");

    /// <summary>The minimum over one dimension and the index of its first occurrence.</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => RunArgReduce(false, dim, keepDim, "min");

    /// <summary>The maximum of all elements (a scalar tensor).</summary>
    public Tensor Max() => Amax();

    /// <summary>The minimum of all elements (a scalar tensor).</summary>
    public Tensor Min() => Amin();

    /// <summary>Index of the maximum along <paramref name="dim"/>, or of the flattened tensor when null (Int64).</summary>
    public Tensor ArgMax(int? dim = null, bool keepDim = false) => ArgExtreme(true, dim, keepDim, "argmax");

    /// <summary>Index of the minimum along <paramref name="dim"/>, or of the flattened tensor when null (Int64).</summary>
    public Tensor ArgMin(int? dim = null, bool keepDim = false) => ArgExtreme(false, dim, keepDim, "argmin");

    /// <summary>
    /// Variance over <paramref name="dims"/> (all when null) with Bessel's correction by default
    /// (<paramref name="correction"/> = 1 divides by N-1, 0 by N), as torch.var.
    /// </summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        using Tensor x = ToFloating();
        using Tensor mean = x.Mean(dims, keepDim: true);
        using Tensor centered = x - mean;
        using Tensor squares = centered.Square();
        using Tensor total = squares.Sum(dims, keepDim);
        int count = x.Numel / Math.Max(mean.Numel, 1);
        return total / Math.Max(count - correction, 0);
    }

    /// <summary>Standard deviation: sqrt of <see cref="Var"/>.</summary>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        using Tensor variance = Var(dims, correction, keepDim);
        return variance.Sqrt();
    }

    /// <summary>
    /// The vector p-norm over <paramref name="dims"/> (all when null): p = 2 (default), 1,
    /// positive infinity (max |x|) or any p &gt; 0.
    /// </summary>
    public Tensor Norm(double p = 2, int[]? dims = null, bool keepDim = false)
    {
        if (!(p > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"norm: p must be > 0 (got {p}) for a tensor of shape {Shape}");
        }

        using Tensor x = ToFloating();
        using Tensor magnitude = x.Abs();
        if (double.IsPositiveInfinity(p))
        {
            return magnitude.Amax(dims, keepDim);
        }

        if (p == 1)
        {
            return magnitude.Sum(dims, keepDim);
        }

        if (p == 2)
        {
            using Tensor squares = x.Square();
            using Tensor sumSquares = squares.Sum(dims, keepDim);
            return sumSquares.Sqrt();
        }

        using Tensor powered = magnitude.Pow(p);
        using Tensor sum = powered.Sum(dims, keepDim);
        return sum.Pow(1 / p);
    }

    /// <summary>log(sum(exp(x))) over <paramref name="dims"/>, computed stably (the maximum is factored out).</summary>
    public Tensor LogSumExp(int[] dims, bool keepDim = false)
    {
        using Tensor x = ToFloating();
        using Tensor max = x.Amax(dims, keepDim: true);
        // An all -inf (or +inf) slice has an infinite maximum; subtracting it would give NaN, so shift by 0 there.
        using Tensor finite = max.Abs();
        using Tensor isFinite = finite.Lt(double.PositiveInfinity);
        using Tensor shift = Where(isFinite, max, 0.0);
        using Tensor shifted = x - shift;
        using Tensor exp = shifted.Exp();
        using Tensor sum = exp.Sum(dims, keepDim: true);
        using Tensor log = sum.Log();
        using Tensor result = log + shift;
        return keepDim ? result.Alias() : result.SqueezeDims(NormalizeDims(dims, "logsumexp"));
    }

    /// <summary>log(sum(exp(x))) over one dimension.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false) => LogSumExp([dim], keepDim);

    private Tensor ToFloating() => DType.IsFloatingPoint() ? Alias() : To(DType.Float32);

    /// <summary>Sorted distinct dimensions, all of them when <paramref name="dims"/> is null; validated.</summary>
    internal int[] NormalizeDims(int[]? dims, string op)
    {
        if (dims is null)
        {
            var all = new int[Rank];
            for (int i = 0; i < Rank; i++)
            {
                all[i] = i;
            }

            return all;
        }

        var seen = new SortedSet<int>();
        foreach (int d in dims)
        {
            if (Rank == 0 && d is 0 or -1)
            {
                continue;
            }

            if (!seen.Add(Shape.NormalizeDim(d, op)))
            {
                throw new ArgumentException($"{op}: dimension {d} appears more than once in {Shape.Format(dims)}", nameof(dims));
            }
        }

        return [.. seen];
    }

    /// <summary>A view without the given (sorted) size-1 dimensions.</summary>
    internal Tensor SqueezeDims(int[] sortedDims)
    {
        Layout layout = Layout;
        for (int i = sortedDims.Length - 1; i >= 0; i--)
        {
            layout = layout.Squeeze(sortedDims[i]);
        }

        return View(layout);
    }

    private Tensor RunReduce(ReduceOp op, int[]? dims, bool keepDim, string name)
    {
        int[] axes = NormalizeDims(dims, name);
        DType compute = op switch
        {
            ReduceOp.Sum or ReduceOp.Prod when !DType.IsFloatingPoint() => DType.Int64,
            ReduceOp.Mean when !DType.IsFloatingPoint() => DType.Float32,
            ReduceOp.Max or ReduceOp.Min when DType == DType.Bool => DType.Int32,
            _ => ComputeType(DType),
        };

        if (op is ReduceOp.Max or ReduceOp.Min)
        {
            foreach (int axis in axes)
            {
                if (Shape[axis] == 0)
                {
                    throw new ArgumentException($"{name}: dimension {axis} of shape {Shape} is empty; the reduction has no identity", nameof(dims));
                }
            }
        }

        int[] kept = Shape.ToArray();
        foreach (int axis in axes)
        {
            kept[axis] = 1;
        }

        using Tensor input = To(compute);
        Tensor result = Empty(new Shape(kept), compute, Device);
        Backend.Reduce(op, input.Storage, input.Layout, axes, result.Storage);
        DType resultType = op is ReduceOp.Max or ReduceOp.Min && DType == DType.Bool ? DType.Bool : DType.IsHalfPrecision() ? DType : compute;
        result = result.CastAndDispose(resultType);
        if (keepDim)
        {
            return result;
        }

        Tensor squeezed = result.SqueezeDims(axes);
        result.Dispose();
        return squeezed;
    }

    private (Tensor Values, Tensor Indices) RunArgReduce(bool max, int dim, bool keepDim, string name)
    {
        int axis = Shape.NormalizeDim(dim, name);
        if (Rank > 0 && Shape[axis] == 0)
        {
            throw new ArgumentException($"{name}: dimension {axis} of shape {Shape} is empty", nameof(dim));
        }

        int[] kept = Shape.ToArray();
        if (Rank > 0)
        {
            kept[axis] = 1;
        }

        DType compute = DType == DType.Bool ? DType.Int32 : ComputeType(DType);
        using Tensor input = To(compute);
        Tensor values = Empty(new Shape(kept), compute, Device);
        Tensor indices = Empty(new Shape(kept), DType.Int64, Device);
        if (Rank == 0)
        {
            using Tensor one = input.Reshape(1);
            Backend.ArgReduce(max, one.Storage, one.Layout, 0, values.Storage, indices.Storage);
        }
        else
        {
            Backend.ArgReduce(max, input.Storage, input.Layout, axis, values.Storage, indices.Storage);
        }

        values = values.CastAndDispose(DType);
        if (keepDim || Rank == 0)
        {
            return (values, indices);
        }

        Tensor v = values.SqueezeDims([axis]), i = indices.SqueezeDims([axis]);
        values.Dispose();
        indices.Dispose();
        return (v, i);
    }

    private Tensor ArgExtreme(bool max, int? dim, bool keepDim, string name)
    {
        if (dim is null)
        {
            using Tensor flat = Reshape(-1);
            var (values, indices) = flat.RunArgReduce(max, 0, false, name);
            values.Dispose();
            return indices;
        }

        var (v, idx) = RunArgReduce(max, dim.Value, keepDim, name);
        v.Dispose();
        return idx;
    }
}
