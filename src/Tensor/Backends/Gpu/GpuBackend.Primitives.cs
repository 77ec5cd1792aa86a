using System.Numerics;
using Spamp.Backends.Kernels;
using Spamp.Memory;

namespace Spamp.Backends.Gpu;

public abstract unsafe partial class GpuBackend
{
    // ---- data movement -------------------------------------------------------------------------

    /// <inheritdoc/>
    /// <remarks>A blocking write: the source span may be released as soon as this returns. It waits for the copy, not for queued kernels' results, so it is not counted as a synchronisation.</remarks>
    public override void Upload<T>(ReadOnlySpan<T> source, Storage dst, int dstOffset)
    {
        if (source.IsEmpty)
        {
            return;
        }

        lock (Gate)
        {
            fixed (T* p = source)
            {
                WriteBytes(dst, (long)dstOffset * sizeof(T), p, (long)source.Length * sizeof(T));
            }
        }
    }

    /// <inheritdoc/>
    public override void Download<T>(Storage src, Layout layout, Span<T> destination)
    {
        int n = layout.Numel;
        if (n == 0)
        {
            return;
        }

        Storage? gathered = null;
        try
        {
            Storage from = src;
            int offset = layout.Offset;
            if (!layout.IsContiguous)
            {
                // Gather on the device, then read one contiguous range.
                gathered = Storage.Allocate(this, src.DType, n);
                Copy(src, layout, gathered, Layout.Contiguous(layout.Shape));
                from = gathered;
                offset = 0;
            }

            CountSynchronization();
            lock (Gate)
            {
                fixed (T* p = destination)
                {
                    ReadBytes(from, (long)offset * sizeof(T), p, (long)n * sizeof(T));
                }
            }
        }
        finally
        {
            gathered?.Release();
        }
    }

    /// <inheritdoc/>
    public override void Copy(Storage src, Layout srcLayout, Storage dst, Layout dstLayout)
    {
        int n = srcLayout.Numel;
        if (n == 0)
        {
            return;
        }

        int size = ElementSize(src.DType);
        lock (Gate)
        {
            if (srcLayout.IsContiguous && dstLayout.IsContiguous && !ReferenceEquals(src.Buffer, dst.Buffer))
            {
                CopyBytes(src, (long)srcLayout.Offset * size, dst, (long)dstLayout.Offset * size, (long)n * size);
                return;
            }

            int rank = KernelDims.Merge(srcLayout.Shape.AsSpan(), srcLayout.Strides, dstLayout.Strides, [], out Dims8 shape, out Dims8 s, out Dims8 d, out _);
            Kernel("data", size, "copy_strided").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(s)
                .Buffer(dst).Value(dstLayout.Offset).Value(d)
                .Value(shape).Value(rank).Value(n)
                .Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void Cast(Storage src, Layout srcLayout, Storage dst)
    {
        int n = srcLayout.Numel;
        if (n == 0)
        {
            return;
        }

        if (!SupportsFloat64 && (src.DType == DType.Float64 || dst.DType == DType.Float64))
        {
            throw new NotSupportedException($"cast {src.DType.Name()} to {dst.DType.Name()}: device {DeviceName} has no double precision (cl_khr_fp64)");
        }

        // One program per source dtype; the destination is a run-time switch (7 programs, not 49).
        int rank = KernelDims.Merge(srcLayout, out Dims8 shape, out Dims8 strides);
        lock (Gate)
        {
            Kernel("cast", src.DType, "cast").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(strides).Value(shape).Value(rank).Value(n)
                .Buffer(dst).Value((int)dst.DType)
                .Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void Fill(Storage dst, Layout dstLayout, double value)
    {
        int n = dstLayout.Numel;
        if (n == 0)
        {
            return;
        }

        switch (dst.DType)
        {
            case DType.Float32: FillBits(dst, dstLayout, BitConverter.SingleToUInt32Bits((float)value)); break;
            case DType.Float64: FillBits(dst, dstLayout, BitConverter.DoubleToUInt64Bits(value)); break;
            case DType.Float16: FillBits(dst, dstLayout, BitConverter.HalfToUInt16Bits((Half)value)); break;
            case DType.BFloat16: FillBits(dst, dstLayout, ((BFloat16)value).Bits); break;
            case DType.Int32: FillBits(dst, dstLayout, unchecked((uint)(int)value)); break;
            case DType.Int64: FillBits(dst, dstLayout, unchecked((ulong)(long)value)); break;
            case DType.Bool: FillBits(dst, dstLayout, value != 0 ? (byte)1 : (byte)0); break;
            default: throw new ArgumentOutOfRangeException(nameof(dst), dst.DType, "unknown dtype");
        }
    }

    // Fill by bit pattern: one kernel per element width serves every dtype.
    private void FillBits<TBits>(Storage dst, Layout layout, TBits bits) where TBits : unmanaged
    {
        int n = layout.Numel;
        lock (Gate)
        {
            if (layout.IsContiguous)
            {
                FillBytes(dst, (long)layout.Offset * sizeof(TBits), &bits, sizeof(TBits), (long)n * sizeof(TBits));
                return;
            }

            int rank = KernelDims.Merge(layout, out Dims8 shape, out Dims8 strides);
            Kernel("data", sizeof(TBits), "fill_strided").Begin()
                .Buffer(dst).Value(layout.Offset).Value(strides).Value(shape).Value(rank).Value(n).Value(bits)
                .Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void Arange(Storage dst, int count, double start, double step)
    {
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            var kernel = Kernel("elementwise", dst.DType, "arange").Begin().Buffer(dst).Value(count);
            Scalar(kernel, start);
            Scalar(kernel, step);
            kernel.Launch1D(count, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void FillRandom(RandomKind kind, Storage dst, int count, ulong seed, ulong offset, double a, double b)
    {
        if (count == 0)
        {
            return;
        }

        if (!SupportsFloat64)
        {
            throw new NotSupportedException($"random fills: device {DeviceName} has no double precision (cl_khr_fp64), which the Philox kernels use");
        }

        (string name, int perBlock) = (kind, dst.DType) switch
        {
            (RandomKind.Uniform, DType.Float32) => ("uniform_f32", 4),
            (RandomKind.Uniform, DType.Float64) => ("uniform_f64", 2),
            (RandomKind.Normal, DType.Float32) => ("normal_f32", 2),
            (RandomKind.Normal, DType.Float64) => ("normal_f64", 2),
            (RandomKind.Bernoulli, DType.Float32) => ("bernoulli_f32", 4),
            (RandomKind.Bernoulli, DType.Float64) => ("bernoulli_f64", 4),
            (RandomKind.Bernoulli, DType.Bool) => ("bernoulli_u8", 4),
            _ => throw new NotSupportedException($"random {kind} into {dst.DType.Name()} is not supported"),
        };
        int blocks = (count + perBlock - 1) / perBlock;
        lock (Gate)
        {
            var kernel = Kernel("random", 0, name).Begin().Buffer(dst).Value(count).Value(seed).Value(offset);
            switch (kind, dst.DType)
            {
                case (RandomKind.Uniform, DType.Float32): kernel.Value((float)a).Value((float)b); break;
                case (RandomKind.Bernoulli, _):
                    // The contract's integer form: (u >> 8) < ceil(p * 2^24).
                    kernel.Value((uint)Math.Ceiling(Math.Clamp(a, 0, 1) * 16777216.0));
                    break;
                default: kernel.Value(a).Value(b); break;
            }

            kernel.Launch1D(blocks, GroupSize);
        }
    }

    // ---- element-wise --------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void Unary(UnaryOp op, Storage src, Layout srcLayout, Storage dst, UnaryArgs args = default)
    {
        int n = srcLayout.Numel;
        if (n == 0)
        {
            return;
        }

        int rank = KernelDims.Merge(srcLayout, out Dims8 shape, out Dims8 strides);
        lock (Gate)
        {
            var kernel = Kernel("elementwise", src.DType, "unary").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(strides).Value(shape).Value(rank).Value(n)
                .Buffer(dst).Value((int)op);
            Scalar(kernel, args.A);
            Scalar(kernel, args.B);
            kernel.Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void UnaryBackward(UnaryOp op, Storage input, Storage output, Storage gradOutput, Storage gradInput, int count, UnaryArgs args = default)
    {
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            var kernel = Kernel("elementwise", input.DType, "unary_backward").Begin()
                .Buffer(input).Buffer(output).Buffer(gradOutput).Buffer(gradInput).Value(count).Value((int)op);
            Scalar(kernel, args.A);
            Scalar(kernel, args.B);
            kernel.Launch1D(count, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void Binary(BinaryOp op, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst) =>
        TwoOperands("binary", (int)op, a, aLayout, b, bLayout, dst);

    /// <inheritdoc/>
    public override void BinaryScalar(BinaryOp op, Storage src, Layout srcLayout, double scalar, bool scalarFirst, Storage dst)
    {
        int n = srcLayout.Numel;
        if (n == 0)
        {
            return;
        }

        int rank = KernelDims.Merge(srcLayout, out Dims8 shape, out Dims8 strides);
        lock (Gate)
        {
            var kernel = Kernel("elementwise", src.DType, "binary_scalar").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(strides).Value(shape).Value(rank).Value(n)
                .Buffer(dst).Value((int)op);
            Scalar(kernel, scalar);
            kernel.Value(scalarFirst ? 1 : 0).Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void Compare(CompareOp op, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst) =>
        TwoOperands("compare", (int)op, a, aLayout, b, bLayout, dst);

    private void TwoOperands(string kernelName, int op, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst)
    {
        int n = aLayout.Numel;
        if (n == 0)
        {
            return;
        }

        int rank = KernelDims.Merge(aLayout.Shape.AsSpan(), aLayout.Strides, bLayout.Strides, [], out Dims8 shape, out Dims8 sa, out Dims8 sb, out _);
        lock (Gate)
        {
            Kernel("elementwise", a.DType, kernelName).Begin()
                .Buffer(a).Value(aLayout.Offset).Value(sa)
                .Buffer(b).Value(bLayout.Offset).Value(sb)
                .Value(shape).Value(rank).Value(n).Buffer(dst).Value(op)
                .Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void Where(Storage condition, Layout conditionLayout, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst)
    {
        int n = aLayout.Numel;
        if (n == 0)
        {
            return;
        }

        int rank = KernelDims.Merge(aLayout.Shape.AsSpan(), conditionLayout.Strides, aLayout.Strides, bLayout.Strides, out Dims8 shape, out Dims8 sc, out Dims8 sa, out Dims8 sb);
        lock (Gate)
        {
            Kernel("data", ElementSize(a.DType), "where_strided").Begin()
                .Buffer(condition).Value(conditionLayout.Offset).Value(sc)
                .Buffer(a).Value(aLayout.Offset).Value(sa)
                .Buffer(b).Value(bLayout.Offset).Value(sb)
                .Value(shape).Value(rank).Value(n).Buffer(dst)
                .Launch1D(n, GroupSize);
        }
    }

    // ---- reductions ----------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void Reduce(ReduceOp op, Storage src, Layout srcLayout, ReadOnlySpan<int> axes, Storage dst)
    {
        if (src.DType != dst.DType)
        {
            throw new NotSupportedException($"reduce {op}: the GPU backends reduce within one dtype ({src.DType.Name()} into {dst.DType.Name()} asked)");
        }

        // Kept view: reduced axes collapsed to size 1; reduced view: only the reduced axes.
        int rank = srcLayout.Rank;
        Span<int> kept = stackalloc int[rank];
        Span<int> reduced = stackalloc int[rank];
        int outputs = 1, count = 1;
        for (int d = 0; d < rank; d++)
        {
            bool isReduced = axes.Contains(d);
            kept[d] = isReduced ? 1 : srcLayout.Shape[d];
            reduced[d] = isReduced ? srcLayout.Shape[d] : 1;
            outputs *= kept[d];
            count *= reduced[d];
        }

        if (outputs == 0)
        {
            return;
        }

        int keptRank = KernelDims.Merge(kept, srcLayout.Strides, [], [], out Dims8 keptShape, out Dims8 keptStrides, out _, out _);
        int redRank = KernelDims.Merge(reduced, srcLayout.Strides, [], [], out Dims8 redShape, out Dims8 redStrides, out _, out _);
        int local = GroupFor(count);
        lock (Gate)
        {
            Kernel("reduce", dst.DType, "reduce_axes").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(keptShape).Value(keptStrides).Value(keptRank)
                .Value(redShape).Value(redStrides).Value(redRank).Value(count).Buffer(dst).Value((int)op)
                .Launch1D((long)outputs * local, local);
        }
    }

    /// <inheritdoc/>
    public override void ArgReduce(bool max, Storage src, Layout srcLayout, int axis, Storage values, Storage indices)
    {
        int rank = srcLayout.Rank;
        Span<int> kept = stackalloc int[rank];
        int outputs = 1;
        for (int d = 0; d < rank; d++)
        {
            kept[d] = d == axis ? 1 : srcLayout.Shape[d];
            outputs *= kept[d];
        }

        int size = srcLayout.Shape[axis];
        if (outputs == 0 || size == 0)
        {
            return;
        }

        int keptRank = KernelDims.Merge(kept, srcLayout.Strides, [], [], out Dims8 keptShape, out Dims8 keptStrides, out _, out _);
        int local = GroupFor(size);
        lock (Gate)
        {
            Kernel("reduce", src.DType, "arg_reduce").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(keptShape).Value(keptStrides).Value(keptRank)
                .Value(size).Value(srcLayout.Strides[axis]).Buffer(values).Buffer(indices).Value(max ? 1 : 0)
                .Launch1D((long)outputs * local, local);
        }
    }

    // ---- linear algebra and fused ops ----------------------------------------------------------

    /// <inheritdoc/>
    public override void MatMul(Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst)
    {
        const int Tile = 16;
        int batch = aLayout.Shape[0], m = aLayout.Shape[1], k = aLayout.Shape[2], n = bLayout.Shape[2];
        if (batch == 0 || m == 0 || n == 0)
        {
            return;
        }

        var sa = aLayout.Strides;
        var sb = bLayout.Strides;
        lock (Gate)
        {
            Kernel("matmul", dst.DType, "matmul").Begin()
                .Buffer(a).Value(aLayout.Offset).Value(sa[0]).Value(sa[1]).Value(sa[2])
                .Buffer(b).Value(bLayout.Offset).Value(sb[0]).Value(sb[1]).Value(sb[2])
                .Buffer(dst).Value(m).Value(n).Value(k)
                .Launch3D(RoundUp(n, Tile), RoundUp(m, Tile), batch, Tile, Tile, 1);
        }
    }

    /// <inheritdoc/>
    public override void Softmax(Storage src, int outer, int size, int inner, bool log, Storage dst)
    {
        int rows = outer * inner;
        if (rows == 0 || size == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("softmax", src.DType, "softmax").Begin()
                .Buffer(src).Value(outer).Value(size).Value(inner).Value(log ? 1 : 0).Buffer(dst)
                .Launch1D(rows, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void SoftmaxBackward(Storage output, Storage gradOutput, int outer, int size, int inner, bool log, Storage gradInput)
    {
        int rows = outer * inner;
        if (rows == 0 || size == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("softmax", output.DType, "softmax_backward").Begin()
                .Buffer(output).Buffer(gradOutput).Value(outer).Value(size).Value(inner).Value(log ? 1 : 0).Buffer(gradInput)
                .Launch1D(rows, GroupSize);
        }
    }

    // ---- indexing ------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void IndexSelect(Storage src, Layout srcLayout, int axis, Storage index, int indexCount, Storage dst)
    {
        var (outer, inner) = AroundAxis(srcLayout.Shape.AsSpan(), axis);
        int n = outer * indexCount * inner;
        if (n == 0)
        {
            return;
        }

        SplitAtAxis(srcLayout, axis, out Dims8 outerShape, out Dims8 outerStrides, out int outerRank, out Dims8 innerShape, out Dims8 innerStrides, out int innerRank);
        lock (Gate)
        {
            Kernel("data", ElementSize(src.DType), "index_select").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(outerShape).Value(outerStrides).Value(outerRank)
                .Value(srcLayout.Strides[axis]).Value(innerShape).Value(innerStrides).Value(innerRank).Value(inner)
                .Buffer(index).Value(indexCount).Buffer(dst).Value(n)
                .Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void IndexAdd(Storage dst, Layout dstLayout, int axis, Storage index, int indexCount, Storage src, Layout srcLayout)
    {
        var (outer, inner) = AroundAxis(dstLayout.Shape.AsSpan(), axis);
        int dstAxis = dstLayout.Shape[axis];
        if (outer * dstAxis * inner == 0)
        {
            return;
        }

        SplitAtAxis(srcLayout, axis, out Dims8 outerShape, out Dims8 outerStrides, out int outerRank, out Dims8 innerShape, out Dims8 innerStrides, out int innerRank);
        lock (Gate)
        {
            Kernel("indexing", dst.DType, "index_add").Begin()
                .Buffer(dst).Value(dstLayout.Offset).Value(outer).Value(dstAxis).Value(inner)
                .Buffer(src).Value(srcLayout.Offset).Value(outerShape).Value(outerStrides).Value(outerRank)
                .Value(srcLayout.Strides[axis]).Value(innerShape).Value(innerStrides).Value(innerRank)
                .Buffer(index).Value(indexCount)
                .Launch1D(outer * dstAxis * inner, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void Gather(Storage src, Layout srcLayout, int axis, Storage index, Layout indexLayout, Storage dst)
    {
        int n = indexLayout.Numel;
        if (n == 0)
        {
            return;
        }

        // The axis coordinate comes from the index, so src walks the index's shape with that stride zeroed.
        Span<int> srcStrides = stackalloc int[srcLayout.Rank];
        srcLayout.Strides.CopyTo(srcStrides);
        srcStrides[axis] = 0;
        int rank = KernelDims.Merge(indexLayout.Shape.AsSpan(), srcStrides, indexLayout.Strides, [], out Dims8 shape, out Dims8 s, out Dims8 si, out _);
        lock (Gate)
        {
            Kernel("data", ElementSize(src.DType), "gather").Begin()
                .Buffer(src).Value(srcLayout.Offset).Value(s).Value(srcLayout.Strides[axis])
                .Buffer(index).Value(indexLayout.Offset).Value(si).Value(shape).Value(rank).Value(n).Buffer(dst)
                .Launch1D(n, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void ScatterAdd(Storage dst, Layout dstLayout, int axis, Storage index, Layout indexLayout, Storage src, Layout srcLayout)
    {
        int n = dstLayout.Numel;
        if (n == 0 || indexLayout.Numel == 0)
        {
            return;
        }

        // Unmerged: each destination compares its coordinates with the index's shape dimension by dimension.
        Dims8 dstShape = ToDims(dstLayout.Shape.AsSpan()), indexShape = ToDims(indexLayout.Shape.AsSpan());
        Dims8 indexStrides = ToDims(indexLayout.Strides), srcStrides = ToDims(srcLayout.Strides);
        lock (Gate)
        {
            Kernel("indexing", dst.DType, "scatter_add").Begin()
                .Buffer(dst).Value(dstLayout.Offset).Value(dstShape).Value(dstLayout.Rank).Value(axis).Value(n)
                .Buffer(index).Value(indexLayout.Offset).Value(indexShape).Value(indexStrides)
                .Buffer(src).Value(srcLayout.Offset).Value(srcStrides)
                .Launch1D(n, GroupSize);
        }
    }

    private static (int Outer, int Inner) AroundAxis(ReadOnlySpan<int> shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= shape[d];
        }

        for (int d = axis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        return (outer, inner);
    }

    // The dimensions before and after the axis, each merged on its own, with the layout's strides.
    private static void SplitAtAxis(Layout layout, int axis, out Dims8 outerShape, out Dims8 outerStrides, out int outerRank, out Dims8 innerShape, out Dims8 innerStrides, out int innerRank)
    {
        var shape = layout.Shape.AsSpan();
        outerRank = KernelDims.Merge(shape[..axis], layout.Strides[..axis], [], [], out outerShape, out outerStrides, out _, out _);
        innerRank = KernelDims.Merge(shape[(axis + 1)..], layout.Strides[(axis + 1)..], [], [], out innerShape, out innerStrides, out _, out _);
    }

    private static Dims8 ToDims(ReadOnlySpan<int> values)
    {
        if (values.Length > Dims8.MaxRank)
        {
            throw new NotSupportedException($"GPU scatter_add takes tensors of at most {Dims8.MaxRank} dimensions; {values.Length} given");
        }

        Dims8 dims = default;
        for (int i = 0; i < values.Length; i++)
        {
            dims[i] = values[i];
        }

        return dims;
    }
}
