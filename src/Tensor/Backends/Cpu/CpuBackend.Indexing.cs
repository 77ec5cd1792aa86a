using Spamp.Memory;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Tensors are viewed as [outer, axis, inner]: outer and inner are coalesced separately, so each
    // index moves whole inner slices (memcpy or TensorPrimitives.Add when they are contiguous).

    /// <inheritdoc/>
    public override void IndexSelect(Storage src, Layout srcLayout, int axis, Storage index, int indexCount, Storage dst)
    {
        switch (src.DType.SizeOf())
        {
            case 1: IndexSelectBits<byte>(src, srcLayout, axis, index, indexCount, dst); break;
            case 2: IndexSelectBits<ushort>(src, srcLayout, axis, index, indexCount, dst); break;
            case 4: IndexSelectBits<uint>(src, srcLayout, axis, index, indexCount, dst); break;
            default: IndexSelectBits<ulong>(src, srcLayout, axis, index, indexCount, dst); break;
        }
    }

    private static void IndexSelectBits<T>(Storage src, Layout layout, int axis, Storage index, int count, Storage dst) where T : unmanaged
    {
        var (outerDims, innerShape) = SplitAround(layout.Shape, axis);
        var outer = CoalescedSpace.Of(outerDims, layout.Strides[..axis]);
        var inner = StridedLoop.Create(innerShape, new Layout(innerShape, layout.Strides[(axis + 1)..].ToArray(), 0), Dense(innerShape));
        int innerCount = innerShape.Numel;
        if (outer.Count == 0 || count == 0 || innerCount == 0)
        {
            return;
        }

        var body = new IndexSelectBody<T>(Ptr<T>(src) + layout.Offset, Ptr<long>(index), Ptr<T>(dst), outer, inner, count, layout.Strides[axis]);
        CpuParallel.For(outer.Count * count, innerCount, body);
    }

    private readonly struct IndexSelectBody<T>(T* src, long* index, T* dst, CoalescedSpace outer, StridedLoop inner, int count, int axisStride) : IRangeBody
        where T : unmanaged
    {
        public void Execute(int start, int end)
        {
            int innerCount = inner.Numel;
            for (int item = start; item < end; item++)
            {
                int o = item / count, i = item - (o * count);
                var slice = new SliceCopySegments<T>(
                    src + outer.OffsetOf(o) + (index[i] * axisStride),
                    dst + ((long)item * innerCount));
                inner.Execute(ref slice, 0, innerCount);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Work is split by outer index and by ranges of the inner slice, never by index position, so
    /// duplicate indices always accumulate on one thread in order.
    /// </remarks>
    public override void IndexAdd(Storage dst, Layout dstLayout, int axis, Storage index, int indexCount, Storage src, Layout srcLayout)
    {
        switch (dst.DType)
        {
            case DType.Float32: IndexAddTyped<float, NumericAccumulate<float>>(dst, dstLayout, axis, index, indexCount, src, srcLayout); break;
            case DType.Float64: IndexAddTyped<double, NumericAccumulate<double>>(dst, dstLayout, axis, index, indexCount, src, srcLayout); break;
            case DType.Int32: IndexAddTyped<int, NumericAccumulate<int>>(dst, dstLayout, axis, index, indexCount, src, srcLayout); break;
            case DType.Int64: IndexAddTyped<long, NumericAccumulate<long>>(dst, dstLayout, axis, index, indexCount, src, srcLayout); break;
            case DType.Float16: IndexAddTyped<Half, NumericAccumulate<Half>>(dst, dstLayout, axis, index, indexCount, src, srcLayout); break;
            case DType.BFloat16: IndexAddTyped<BFloat16, BFloat16Accumulate>(dst, dstLayout, axis, index, indexCount, src, srcLayout); break;
            case DType.Bool: IndexAddTyped<byte, BoolAccumulate>(dst, dstLayout, axis, index, indexCount, src, srcLayout); break;
            default: throw Unsupported("index_add", dst.DType);
        }
    }

    private static void IndexAddTyped<T, TAdd>(Storage dst, Layout dstLayout, int axis, Storage index, int count, Storage src, Layout srcLayout)
        where T : unmanaged
        where TAdd : IAccumulate<T>
    {
        var (outerDims, innerShape) = SplitAround(dstLayout.Shape, axis);
        var dstOuter = CoalescedSpace.Of(outerDims, dstLayout.Strides[..axis]);
        var srcOuter = CoalescedSpace.Of(outerDims, srcLayout.Strides[..axis]);
        var inner = StridedLoop.Create(innerShape,
            new Layout(innerShape, srcLayout.Strides[(axis + 1)..].ToArray(), 0),
            new Layout(innerShape, dstLayout.Strides[(axis + 1)..].ToArray(), 0));
        int innerCount = innerShape.Numel;
        if (dstOuter.Count == 0 || count == 0 || innerCount == 0)
        {
            return;
        }

        // Few outer slices (an embedding's gradient has one): cut the inner slice into column ranges instead.
        int cores = Environment.ProcessorCount;
        int innerChunks = dstOuter.Count >= 2 * cores ? 1 : Math.Clamp(innerCount / 1024, 1, 4 * cores);
        var body = new IndexAddBody<T, TAdd>(
            Ptr<T>(src) + srcLayout.Offset, Ptr<long>(index), Ptr<T>(dst) + dstLayout.Offset, srcOuter, dstOuter, inner,
            count, innerChunks, srcLayout.Strides[axis], dstLayout.Strides[axis]);
        CpuParallel.For(dstOuter.Count * innerChunks, (long)count * innerCount / innerChunks, body);
    }

    private readonly struct IndexAddBody<T, TAdd>(
        T* src, long* index, T* dst, CoalescedSpace srcOuter, CoalescedSpace dstOuter, StridedLoop inner,
        int count, int innerChunks, int srcAxisStride, int dstAxisStride) : IRangeBody
        where T : unmanaged
        where TAdd : IAccumulate<T>
    {
        public void Execute(int start, int end)
        {
            int innerCount = inner.Numel;
            for (int item = start; item < end; item++)
            {
                int o = item / innerChunks, c = item - (o * innerChunks);
                int from = CpuParallel.Start(c, innerChunks, innerCount), to = CpuParallel.Start(c + 1, innerChunks, innerCount);
                T* srcSlices = src + srcOuter.OffsetOf(o), dstSlices = dst + dstOuter.OffsetOf(o);
                for (int i = 0; i < count; i++)
                {
                    var slice = new SliceAddSegments<T, TAdd>(srcSlices + ((long)i * srcAxisStride), dstSlices + (index[i] * dstAxisStride));
                    inner.Execute(ref slice, from, to);
                }
            }
        }
    }

    /// <inheritdoc/>
    public override void Gather(Storage src, Layout srcLayout, int axis, Storage index, Layout indexLayout, Storage dst)
    {
        Shape shape = indexLayout.Shape;
        if (shape.Numel == 0)
        {
            return;
        }

        int[] strides = srcLayout.StridesArray();
        int axisStride = strides[axis];
        strides[axis] = 0;
        var loop = StridedLoop.Create(shape, indexLayout, new Layout(shape, strides, srcLayout.Offset), Dense(shape));
        long* idx = Ptr<long>(index);
        switch (src.DType.SizeOf())
        {
            case 1: loop.Run(new GatherSegments<byte>(idx, Ptr<byte>(src), Ptr<byte>(dst), axisStride)); break;
            case 2: loop.Run(new GatherSegments<ushort>(idx, Ptr<ushort>(src), Ptr<ushort>(dst), axisStride)); break;
            case 4: loop.Run(new GatherSegments<uint>(idx, Ptr<uint>(src), Ptr<uint>(dst), axisStride)); break;
            default: loop.Run(new GatherSegments<ulong>(idx, Ptr<ulong>(src), Ptr<ulong>(dst), axisStride)); break;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Runs on one thread: two source elements may land on one target element anywhere in the iteration.</remarks>
    public override void ScatterAdd(Storage dst, Layout dstLayout, int axis, Storage index, Layout indexLayout, Storage src, Layout srcLayout)
    {
        Shape shape = indexLayout.Shape;
        if (shape.Numel == 0)
        {
            return;
        }

        int[] strides = dstLayout.StridesArray();
        int axisStride = strides[axis];
        strides[axis] = 0;
        var loop = StridedLoop.Create(shape, indexLayout, srcLayout, new Layout(shape, strides, dstLayout.Offset));
        long* idx = Ptr<long>(index);
        switch (dst.DType)
        {
            case DType.Float32: loop.Run(new ScatterAddSegments<float, NumericAccumulate<float>>(idx, Ptr<float>(src), Ptr<float>(dst), axisStride), parallel: false); break;
            case DType.Float64: loop.Run(new ScatterAddSegments<double, NumericAccumulate<double>>(idx, Ptr<double>(src), Ptr<double>(dst), axisStride), parallel: false); break;
            case DType.Int32: loop.Run(new ScatterAddSegments<int, NumericAccumulate<int>>(idx, Ptr<int>(src), Ptr<int>(dst), axisStride), parallel: false); break;
            case DType.Int64: loop.Run(new ScatterAddSegments<long, NumericAccumulate<long>>(idx, Ptr<long>(src), Ptr<long>(dst), axisStride), parallel: false); break;
            case DType.Float16: loop.Run(new ScatterAddSegments<Half, NumericAccumulate<Half>>(idx, Ptr<Half>(src), Ptr<Half>(dst), axisStride), parallel: false); break;
            case DType.BFloat16: loop.Run(new ScatterAddSegments<BFloat16, BFloat16Accumulate>(idx, Ptr<BFloat16>(src), Ptr<BFloat16>(dst), axisStride), parallel: false); break;
            case DType.Bool: loop.Run(new ScatterAddSegments<byte, BoolAccumulate>(idx, Ptr<byte>(src), Ptr<byte>(dst), axisStride), parallel: false); break;
            default: throw Unsupported("scatter_add", dst.DType);
        }
    }

    /// <summary>The dimensions before <paramref name="axis"/>, and the shape of those after it.</summary>
    private static (int[] Outer, Shape Inner) SplitAround(Shape shape, int axis)
    {
        ReadOnlySpan<int> dims = shape.AsSpan();
        return (dims[..axis].ToArray(), new Shape(dims[(axis + 1)..].ToArray()));
    }
}
