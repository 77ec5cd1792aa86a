using System.Runtime.CompilerServices;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

/// <summary>
/// The host backend: every primitive of <see cref="Backend"/> in C#, vectorised through
/// TensorPrimitives and System.Runtime.Intrinsics and spread over cores with Parallel.For when a
/// tensor is large. It is also the reference every GPU kernel is tested against.
/// <para>
/// Kernels are generic over the element type and over a struct "operation" type with static
/// abstract members, so the JIT compiles one specialised loop per (operation, type) pair with no
/// virtual calls; the public methods here only pick the instantiation from the runtime dtype.
/// </para>
/// </summary>
public sealed unsafe partial class CpuBackend : Backend
{
    private readonly CpuAllocator _allocator = new();

    private CpuBackend()
    {
    }

    /// <summary>The one CPU backend of the process.</summary>
    public static CpuBackend Instance { get; } = new();

    /// <inheritdoc/>
    public override Device Device => Device.Cpu;

    /// <inheritdoc/>
    public override CachingAllocator Allocator => _allocator;

    /// <summary>Element pointer to the start of a storage's buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T* Ptr<T>(Storage storage) where T : unmanaged => (T*)((CpuBuffer)storage.Buffer).Pointer;

    /// <summary>Raw byte pointer to the start of a storage's buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* BytePtr(Storage storage) => (byte*)((CpuBuffer)storage.Buffer).Pointer;

    /// <summary>The contiguous layout of a freshly allocated output of <paramref name="shape"/>.</summary>
    private static Layout Dense(Shape shape) => Layout.Contiguous(shape);

    private static NotSupportedException Unsupported(string op, DType dtype) =>
        new($"cpu backend: {op} is not defined for {dtype.Name()} tensors");

    // ---- data movement -------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void Upload<T>(ReadOnlySpan<T> source, Storage dst, int dstOffset)
    {
        source.CopyTo(new Span<T>(Ptr<T>(dst) + dstOffset, source.Length));
    }

    /// <inheritdoc/>
    public override void Download<T>(Storage src, Layout layout, Span<T> destination)
    {
        fixed (T* d = destination)
        {
            CopyBytes(BytePtr(src), layout, (byte*)d, Dense(layout.Shape), sizeof(T));
        }
    }

    /// <inheritdoc/>
    public override void Copy(Storage src, Layout srcLayout, Storage dst, Layout dstLayout) =>
        CopyBytes(BytePtr(src), srcLayout, BytePtr(dst), dstLayout, src.DType.SizeOf());

    /// <summary>Element copy between two views of the same shape, by element size only (the bits are moved, not converted).</summary>
    private static void CopyBytes(byte* src, Layout srcLayout, byte* dst, Layout dstLayout, int elementSize)
    {
        if (srcLayout.Numel == 0)
        {
            return;
        }

        if (srcLayout.IsContiguous && dstLayout.IsContiguous)
        {
            long bytes = (long)srcLayout.Numel * elementSize;
            Buffer.MemoryCopy(src + ((long)srcLayout.Offset * elementSize), dst + ((long)dstLayout.Offset * elementSize), bytes, bytes);
            return;
        }

        var loop = StridedLoop.Create(srcLayout.Shape, srcLayout, dstLayout);
        switch (elementSize)
        {
            case 1: loop.Run(new CopySegments<byte>(src, dst)); break;
            case 2: loop.Run(new CopySegments<ushort>((ushort*)src, (ushort*)dst)); break;
            case 4: loop.Run(new CopySegments<uint>((uint*)src, (uint*)dst)); break;
            default: loop.Run(new CopySegments<ulong>((ulong*)src, (ulong*)dst)); break;
        }
    }

    /// <inheritdoc/>
    public override void Fill(Storage dst, Layout dstLayout, double value)
    {
        switch (dst.DType)
        {
            case DType.Float32: FillBits(dst, dstLayout, BitConverter.SingleToUInt32Bits((float)value)); break;
            case DType.Float64: FillBits(dst, dstLayout, BitConverter.DoubleToUInt64Bits(value)); break;
            case DType.Float16: FillBits(dst, dstLayout, BitConverter.HalfToUInt16Bits((Half)value)); break;
            case DType.BFloat16: FillBits(dst, dstLayout, ((BFloat16)value).Bits); break;
            case DType.Int32: FillBits(dst, dstLayout, (uint)int.CreateSaturating(value)); break;
            case DType.Int64: FillBits(dst, dstLayout, (ulong)long.CreateSaturating(value)); break;
            case DType.Bool: FillBits(dst, dstLayout, (byte)(value != 0 ? 1 : 0)); break;
            default: throw Unsupported("fill", dst.DType);
        }
    }

    private static void FillBits<TBits>(Storage dst, Layout layout, TBits bits) where TBits : unmanaged
    {
        if (layout.Numel == 0)
        {
            return;
        }

        if (layout.IsContiguous)
        {
            new Span<TBits>(Ptr<TBits>(dst) + layout.Offset, layout.Numel).Fill(bits);
            return;
        }

        StridedLoop.Create(layout.Shape, layout).Run(new FillSegments<TBits>(Ptr<TBits>(dst), bits));
    }

    /// <inheritdoc/>
    public override void Arange(Storage dst, int count, double start, double step)
    {
        switch (dst.DType)
        {
            case DType.Float32: ArangeInto(Ptr<float>(dst), count, start, step); break;
            case DType.Float64: ArangeInto(Ptr<double>(dst), count, start, step); break;
            case DType.Float16: ArangeInto(Ptr<Half>(dst), count, start, step); break;
            case DType.Int32: ArangeInto(Ptr<int>(dst), count, start, step); break;
            case DType.Int64: ArangeInto(Ptr<long>(dst), count, start, step); break;
            case DType.BFloat16:
                var d = Ptr<BFloat16>(dst);
                for (int i = 0; i < count; i++)
                {
                    d[i] = (BFloat16)(start + (i * step));
                }

                break;
            default: throw Unsupported("arange", dst.DType);
        }
    }

    private static void ArangeInto<T>(T* d, int count, double start, double step) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        // Computed as start + i*step in double (not by repeated addition) so no error accumulates.
        for (int i = 0; i < count; i++)
        {
            d[i] = T.CreateSaturating(start + (i * step));
        }
    }
}
