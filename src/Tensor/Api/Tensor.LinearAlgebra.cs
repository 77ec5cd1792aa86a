namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: 1-D x 1-D is a dot product; a 1-D operand is a
    /// row (left) or column (right) vector whose dimension is removed from the result; otherwise the
    /// last two dimensions multiply and the leading (batch) dimensions broadcast.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        CheckSameDevice("matmul", a, b);
        if (a.Rank == 0 || b.Rank == 0)
        {
            throw new ShapeMismatchException($"matmul: both arguments need at least one dimension, got lhs {a.Shape} and rhs {b.Shape}");
        }

        if (a.DType != b.DType)
        {
            throw new DTypeMismatchException($"matmul: lhs {a.Shape} is {a.DType.Name()} but rhs {b.Shape} is {b.DType.Name()}; convert one with To()");
        }

        if (!a.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"matmul: dtype {a.DType.Name()} is not supported (lhs {a.Shape}, rhs {b.Shape}); use a floating-point type");
        }

        int k = a.Shape[-1];
        int kb = b.Rank == 1 ? b.Shape[0] : b.Shape[-2];
        if (k != kb)
        {
            throw new ShapeMismatchException($"matmul: lhs {a.Shape} and rhs {b.Shape}: inner dimensions {k} and {kb} differ");
        }

        using Tensor a2 = a.Rank == 1 ? a.Unsqueeze(0) : a.Alias();
        using Tensor b2 = b.Rank == 1 ? b.Unsqueeze(1) : b.Alias();
        int m = a2.Shape[-1 - 1], n = b2.Shape[-1];
        int[] batchA = a2.Shape.ToArray()[..^2], batchB = b2.Shape.ToArray()[..^2];
        Shape batch = Shape.TryBroadcast(new Shape(batchA), new Shape(batchB)) ?? throw new ShapeMismatchException(
            $"matmul: lhs {a.Shape} and rhs {b.Shape}: batch dimensions {Shape.Format(batchA)} and {Shape.Format(batchB)} cannot be broadcast");
        int batchCount = batch.Numel;

        DType compute = ComputeType(a.DType);
        using Tensor a3 = a2.AsBatchedMatrices(batch, m, k, compute);
        using Tensor b3 = b2.AsBatchedMatrices(batch, k, n, compute);
        Tensor result = Empty(new Shape(batchCount, m, n), compute, a.Device);
        a.Backend.MatMul(a3.Storage, a3.Layout, b3.Storage, b3.Layout, result.Storage);
        result = result.CastAndDispose(a.DType);

        var outDims = new List<int>(batch);
        if (a.Rank > 1)
        {
            outDims.Add(m);
        }

        if (b.Rank > 1)
        {
            outDims.Add(n);
        }

        Tensor shaped = result.View(Layout.Contiguous(new Shape([.. outDims])));
        result.Dispose();
        return shaped;
    }

    /// <summary>a @ b</summary>
    public Tensor MatMul(Tensor other) => MatMul(this, other);

    /// <summary>
    /// This [..., rows, cols] tensor broadcast to the batch shape and viewed as [batch, rows, cols]
    /// with one uniform batch stride; copied only when the broadcast batch dimensions cannot be
    /// merged into one stride.
    /// </summary>
    private Tensor AsBatchedMatrices(Shape batch, int rows, int cols, DType compute)
    {
        using Tensor typed = To(compute);
        int[] full = [.. batch, rows, cols];
        using Tensor expanded = typed.Expand(full);
        Shape target = new(batch.Numel, rows, cols);
        Layout? merged = expanded.Layout.TryView(target) ?? TryMergeBatch(expanded.Layout, batch.Rank, target);
        if (merged is not null)
        {
            return expanded.View(merged);
        }

        using Tensor copy = expanded.Clone();
        return copy.View(Layout.Contiguous(target));
    }

    /// <summary>Merges leading batch dimensions into one when they step uniformly (including all-zero strides of a broadcast).</summary>
    private static Layout? TryMergeBatch(Layout layout, int batchRank, Shape target)
    {
        ReadOnlySpan<int> strides = layout.Strides;
        int batchStride = 0;
        int expected = -1;
        for (int d = batchRank - 1; d >= 0; d--)
        {
            int size = layout.Shape[d];
            if (size == 1)
            {
                continue;
            }

            if (expected == -1)
            {
                batchStride = strides[d];
                expected = strides[d] * size;
            }
            else if (strides[d] != expected)
            {
                return null;
            }
            else
            {
                expected *= size;
            }
        }

        return new Layout(target, [batchStride, strides[batchRank], strides[batchRank + 1]], layout.Offset);
    }
}
