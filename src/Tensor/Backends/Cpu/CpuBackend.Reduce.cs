using System.Numerics;
using System.Runtime.CompilerServices;
using Spamp.Memory;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Width of the column chunks (and partial buffers) reductions keep on the stack.</summary>
    private const int ReduceChunk = 256;

    /// <summary>Rows accumulated per level before flushing to the next, so float32 sums over many rows add short runs.</summary>
    private const int ReduceFlush = 64;

    /// <inheritdoc/>
    /// <remarks>
    /// Three shapes of work. Reduced axes innermost and contiguous: each output reduces contiguous
    /// rows with TensorPrimitives. Reduced axes outer with the kept axes contiguous innermost (a bias
    /// gradient, [N,C] summed over N): whole rows are combined into the output row. Anything else:
    /// strided rows are gathered into a stack buffer and reduced as contiguous rows.
    /// </remarks>
    public override void Reduce(ReduceOp op, Storage src, Layout srcLayout, ReadOnlySpan<int> axes, Storage dst)
    {
        switch (dst.DType)
        {
            case DType.Float32: ReduceTyped<float>(op, src, srcLayout, axes, dst); break;
            case DType.Float64: ReduceTyped<double>(op, src, srcLayout, axes, dst); break;
            case DType.Int32: ReduceTyped<int>(op, src, srcLayout, axes, dst); break;
            case DType.Int64: ReduceTyped<long>(op, src, srcLayout, axes, dst); break;
            default: throw Unsupported($"reduce {op}", dst.DType);
        }
    }

    private static void ReduceTyped<T>(ReduceOp op, Storage src, Layout layout, ReadOnlySpan<int> axes, Storage dst)
        where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case ReduceOp.Sum: ReduceWith<T, SumReduce<T>>(src, layout, axes, dst, mean: false); break;
            case ReduceOp.Mean: ReduceWith<T, SumReduce<T>>(src, layout, axes, dst, mean: true); break;
            case ReduceOp.Max: ReduceWith<T, MaxReduce<T>>(src, layout, axes, dst, mean: false); break;
            case ReduceOp.Min: ReduceWith<T, MinReduce<T>>(src, layout, axes, dst, mean: false); break;
            case ReduceOp.Prod: ReduceWith<T, ProdReduce<T>>(src, layout, axes, dst, mean: false); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown reduction");
        }
    }

    private static void ReduceWith<T, TOp>(Storage src, Layout layout, ReadOnlySpan<int> axes, Storage dst, bool mean)
        where T : unmanaged, INumber<T>
        where TOp : IReduceKernel<T>
    {
        // Split the source into the kept axes (with the output's contiguous strides) and the reduced axes.
        int rank = layout.Rank;
        int[] keptShape = layout.Shape.ToArray();
        foreach (int axis in axes)
        {
            keptShape[axis] = 1;
        }

        int[] reducedShape = new int[rank];
        int[] keptSrcStrides = layout.StridesArray();
        int[] reducedStrides = layout.StridesArray();
        for (int d = 0; d < rank; d++)
        {
            bool isReduced = axes.Contains(d);
            reducedShape[d] = isReduced ? layout.Shape[d] : 1;
            if (isReduced)
            {
                keptSrcStrides[d] = 0;
            }
        }

        var keptDims = new Shape(keptShape);
        int outputs = keptDims.Numel;
        if (outputs == 0)
        {
            return;
        }

        T* s = Ptr<T>(src);
        T* d0 = Ptr<T>(dst);
        var reduced = new CoalescedSpace(StridedLoop.Create(new Shape(reducedShape), new Layout(new Shape(reducedShape), reducedStrides, 0)));
        if (reduced.Count == 0)
        {
            new Span<T>(d0, outputs).Fill(mean ? T.Zero / T.Zero : TOp.Empty);
            return;
        }

        T scale = mean ? T.One / T.CreateTruncating(reduced.Count) : T.One;
        var kept = StridedLoop.Create(keptDims, new Layout(keptDims, keptSrcStrides, layout.Offset), Dense(keptDims));

        if (reduced.InnerStride != 1 && kept.InnerStride(0) == 1 && kept.InnerSize >= 16)
        {
            ReduceColumns<T, TOp>(s, d0, kept, reduced, mean, scale);
            return;
        }

        if (outputs < 2 * Environment.ProcessorCount && reduced.Rank == 1 && reduced.InnerStride == 1 && reduced.Count >= 2 * CpuParallel.SerialThreshold)
        {
            ReduceLongRows<T, TOp>(s, d0, kept, reduced.Count, mean, scale);
            return;
        }

        kept.Run(new ReduceRowsSegments<T, TOp>(s, d0, reduced, mean, scale), costPerElement: reduced.Count);
    }

    /// <summary>Operand 0: the source offset of each output's first reduced element; operand 1: the output.</summary>
    private readonly struct ReduceRowsSegments<T, TOp>(T* src, T* dst, CoalescedSpace reduced, bool mean, T scale) : ISegmentKernel
        where T : unmanaged, INumber<T>
        where TOp : IReduceKernel<T>
    {
        [SkipLocalsInit]
        public void Run(in Segment s)
        {
            Span<T> partials = stackalloc T[ReduceChunk];
            Span<T> gather = stackalloc T[ReduceChunk];
            for (int i = 0; i < s.Length; i++)
            {
                T value = ReduceOne(src + s.O0 + ((long)i * s.S0), partials, gather);
                dst[s.O1 + ((long)i * s.S1)] = mean ? value * scale : value;
            }
        }

        /// <summary>
        /// Row results go into a partials buffer that is itself reduced when full, so a float32 sum
        /// never adds thousands of values serially into one scalar.
        /// </summary>
        private T ReduceOne(T* at, Span<T> partials, Span<T> gather)
        {
            int rows = reduced.Rows, inner = reduced.InnerSize, stride = reduced.InnerStride;
            int count = 0;
            T acc = default;
            bool has = false;
            for (int r = 0; r < rows; r++)
            {
                T* row = at + (rows == 1 ? 0 : reduced.RowOffset(r));
                for (int c = 0; c < inner; c += stride == 1 ? inner : ReduceChunk)
                {
                    ReadOnlySpan<T> values;
                    if (stride == 1)
                    {
                        values = new ReadOnlySpan<T>(row, inner);
                    }
                    else
                    {
                        int n = Math.Min(ReduceChunk, inner - c);
                        StridedGather.Row(row + ((long)c * stride), stride, gather[..n]);
                        values = gather[..n];
                    }

                    partials[count++] = TOp.ReduceRow(values);
                    if (count == ReduceChunk)
                    {
                        T part = TOp.ReduceRow(partials);
                        acc = has ? TOp.Combine(acc, part) : part;
                        has = true;
                        count = 0;
                    }
                }
            }

            if (count > 0)
            {
                T part = TOp.ReduceRow(partials[..count]);
                acc = has ? TOp.Combine(acc, part) : part;
            }

            return acc;
        }
    }

    /// <summary>A few outputs, each a very long contiguous row: the rows are split across cores instead.</summary>
    private static void ReduceLongRows<T, TOp>(T* src, T* dst, StridedLoop kept, int length, bool mean, T scale)
        where T : unmanaged, INumber<T>
        where TOp : IReduceKernel<T>
    {
        int chunks = CpuParallel.ChunkCount(length, 1);
        var partials = new T[chunks];
        for (int o = 0; o < kept.Numel; o++)
        {
            // Each output's source offset, from the kept loop's (possibly several) dimensions.
            int offset = kept.Offset(0), rest = o;
            for (int d = kept.Rank - 1; d >= 0; d--)
            {
                offset += rest % kept.Dim(d) * kept.Stride(0, d);
                rest /= kept.Dim(d);
            }

            T* row = src + offset;
            Parallel.For(0, chunks, c =>
            {
                int start = CpuParallel.Start(c, chunks, length), end = CpuParallel.Start(c + 1, chunks, length);
                partials[c] = TOp.ReduceRow(new ReadOnlySpan<T>(row + start, end - start));
            });
            T value = TOp.ReduceRow(partials);
            dst[o] = mean ? value * scale : value;
        }
    }

    /// <summary>
    /// Reduced axes outer, kept axes contiguous innermost: for each chunk of output columns, combine
    /// the source rows into it. Rows are combined in three levels (64 rows into one buffer, 64 of
    /// those into a second, then into the output) so a float32 sum over a million rows adds short runs.
    /// </summary>
    private static void ReduceColumns<T, TOp>(T* src, T* dst, StridedLoop kept, CoalescedSpace reduced, bool mean, T scale)
        where T : unmanaged, INumber<T>
        where TOp : IReduceKernel<T>
    {
        int width = kept.InnerSize;
        int keptRows = kept.Numel / width;
        int chunksPerRow = (width + ReduceChunk - 1) / ReduceChunk;
        var body = new ReduceColumnsBody<T, TOp>(src, dst, kept, reduced, mean, scale, chunksPerRow);
        CpuParallel.For(keptRows * chunksPerRow, (long)reduced.Count * Math.Min(width, ReduceChunk), body);
    }

    private readonly struct ReduceColumnsBody<T, TOp>(T* src, T* dst, StridedLoop kept, CoalescedSpace reduced, bool mean, T scale, int chunksPerRow) : IRangeBody
        where T : unmanaged, INumber<T>
        where TOp : IReduceKernel<T>
    {
        [SkipLocalsInit]
        public void Execute(int start, int end)
        {
            int width = kept.InnerSize;
            Span<T> level1 = stackalloc T[ReduceChunk];
            Span<T> level2 = stackalloc T[ReduceChunk];
            Span<int> index = stackalloc int[reduced.Rank];
            for (int item = start; item < end; item++)
            {
                int keptRow = item / chunksPerRow, c0 = item % chunksPerRow * ReduceChunk;
                int n = Math.Min(ReduceChunk, width - c0);

                // Source and output offsets of this kept row (the kept loop's outer dimensions).
                int srcOffset = kept.Offset(0) + c0, dstOffset = (keptRow * width) + c0, rest = keptRow;
                for (int d = kept.Rank - 2; d >= 0; d--)
                {
                    srcOffset += rest % kept.Dim(d) * kept.Stride(0, d);
                    rest /= kept.Dim(d);
                }

                Span<T> l1 = level1[..n], l2 = level2[..n];
                var output = new Span<T>(dst + dstOffset, n);
                int count1 = 0, count2 = 0;
                bool hasOutput = false;
                index.Clear();
                int offset = 0;
                for (int r = 0; r < reduced.Count; r++)
                {
                    var row = new ReadOnlySpan<T>(src + srcOffset + offset, n);
                    if (count1 == 0)
                    {
                        row.CopyTo(l1);
                    }
                    else
                    {
                        TOp.CombineRows(row, l1);
                    }

                    if (++count1 == ReduceFlush)
                    {
                        Flush(l1, l2, ref count1, ref count2);
                        if (count2 == ReduceFlush)
                        {
                            FlushInto(l2, output, ref count2, ref hasOutput);
                        }
                    }

                    // Next reduced index (odometer over the reduced dimensions).
                    for (int d = reduced.Rank - 1; d >= 0; d--)
                    {
                        offset += reduced.Strides[d];
                        if (++index[d] < reduced.Dims[d])
                        {
                            break;
                        }

                        offset -= reduced.Strides[d] * reduced.Dims[d];
                        index[d] = 0;
                    }
                }

                if (count1 > 0)
                {
                    Flush(l1, l2, ref count1, ref count2);
                }

                if (count2 > 0)
                {
                    FlushInto(l2, output, ref count2, ref hasOutput);
                }

                if (mean)
                {
                    TP.Multiply(output, scale, output);
                }
            }
        }

        private static void Flush(Span<T> from, Span<T> to, ref int countFrom, ref int countTo)
        {
            if (countTo == 0)
            {
                from.CopyTo(to);
            }
            else
            {
                TOp.CombineRows(from, to);
            }

            countFrom = 0;
            countTo++;
        }

        private static void FlushInto(Span<T> from, Span<T> output, ref int countFrom, ref bool hasOutput)
        {
            if (hasOutput)
            {
                TOp.CombineRows(from, output);
            }
            else
            {
                from.CopyTo(output);
            }

            hasOutput = true;
            countFrom = 0;
        }
    }

    // ---- arg-reductions ------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void ArgReduce(bool max, Storage src, Layout srcLayout, int axis, Storage values, Storage indices)
    {
        switch (values.DType)
        {
            case DType.Float32: ArgReduceTyped<float>(max, src, srcLayout, axis, values, indices); break;
            case DType.Float64: ArgReduceTyped<double>(max, src, srcLayout, axis, values, indices); break;
            case DType.Int32: ArgReduceTyped<int>(max, src, srcLayout, axis, values, indices); break;
            case DType.Int64: ArgReduceTyped<long>(max, src, srcLayout, axis, values, indices); break;
            default: throw Unsupported("argmax/argmin", values.DType);
        }
    }

    private static void ArgReduceTyped<T>(bool max, Storage src, Layout layout, int axis, Storage values, Storage indices)
        where T : unmanaged, INumber<T>
    {
        if (layout.Rank == 0)
        {
            Ptr<T>(values)[0] = Ptr<T>(src)[layout.Offset];
            Ptr<long>(indices)[0] = 0;
            return;
        }

        int length = layout.Shape[axis];
        int[] keptShape = layout.Shape.ToArray();
        keptShape[axis] = 1;
        var keptDims = new Shape(keptShape);
        if (keptDims.Numel == 0 || length == 0)
        {
            return;
        }

        int[] strides = layout.StridesArray();
        strides[axis] = 0;
        var kept = StridedLoop.Create(keptDims, new Layout(keptDims, strides, layout.Offset), Dense(keptDims));
        var body = new ArgReduceSegments<T>(Ptr<T>(src), Ptr<T>(values), Ptr<long>(indices), length, layout.Strides[axis], max);
        kept.Run(body, costPerElement: length);
    }

    /// <summary>
    /// Operand 0: each output's first source element; operand 1: the output. The first extreme
    /// wins, and the first NaN beats everything (PyTorch's rule).
    /// </summary>
    private readonly struct ArgReduceSegments<T>(T* src, T* values, long* indices, int length, int stride, bool max) : ISegmentKernel
        where T : unmanaged, INumber<T>
    {
        public void Run(in Segment s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                T* x = src + s.O0 + ((long)i * s.S0);
                int best = Scan(x);
                long at = s.O1 + ((long)i * s.S1);
                values[at] = x[(long)best * stride];
                indices[at] = best;
            }
        }

        // A plain scan rather than TensorPrimitives.IndexOfMax: that one ranks +0 above -0, while
        // PyTorch treats them as equal and returns the first.
        private int Scan(T* x)
        {
            int best = 0;
            T bestValue = x[0];
            if (T.IsNaN(bestValue))
            {
                return 0;
            }

            for (int j = 1; j < length; j++)
            {
                T v = x[(long)j * stride];
                if (T.IsNaN(v))
                {
                    return j;
                }

                if (max ? v > bestValue : v < bestValue)
                {
                    best = j;
                    bestValue = v;
                }
            }

            return best;
        }
    }
}
