using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>How index-add and scatter-add accumulate one element type.</summary>
internal interface IAccumulate<T> where T : unmanaged
{
    static abstract void Add(ref T target, T value);

    static abstract void AddRow(ReadOnlySpan<T> values, Span<T> target);
}

internal readonly struct NumericAccumulate<T> : IAccumulate<T> where T : unmanaged, INumber<T>
{
    public static void Add(ref T target, T value) => target += value;

    public static void AddRow(ReadOnlySpan<T> values, Span<T> target) => TP.Add(target, values, target);
}

/// <summary>bfloat16 adds in float32 and rounds once.</summary>
internal readonly struct BFloat16Accumulate : IAccumulate<BFloat16>
{
    public static void Add(ref BFloat16 target, BFloat16 value) => target = (BFloat16)((float)target + (float)value);

    public static void AddRow(ReadOnlySpan<BFloat16> values, Span<BFloat16> target)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = (BFloat16)((float)target[i] + (float)values[i]);
        }
    }
}

/// <summary>Bool "addition" saturates: a logical or, as PyTorch's bool add.</summary>
internal readonly struct BoolAccumulate : IAccumulate<byte>
{
    public static void Add(ref byte target, byte value) => target |= value;

    public static void AddRow(ReadOnlySpan<byte> values, Span<byte> target) => TP.BitwiseOr(target, values, target);
}

/// <summary>Operand 0 is the source, operand 1 the destination, both relative to bases that move per slice.</summary>
internal unsafe struct SliceCopySegments<T>(T* src, T* dst) : ISegmentKernel where T : unmanaged
{
    public T* Src = src;
    public T* Dst = dst;

    public readonly void Run(in Segment s) => new CopySegments<T>(Src, Dst).Run(s);
}

/// <summary>dst slice += src slice; operand 0 the source, 1 the destination.</summary>
internal unsafe struct SliceAddSegments<T, TAdd>(T* src, T* dst) : ISegmentKernel
    where T : unmanaged
    where TAdd : IAccumulate<T>
{
    public T* Src = src;
    public T* Dst = dst;

    public readonly void Run(in Segment s)
    {
        T* x = Src + s.O0, d = Dst + s.O1;
        if (s.S0 == 1 && s.S1 == 1)
        {
            TAdd.AddRow(new ReadOnlySpan<T>(x, s.Length), new Span<T>(d, s.Length));
            return;
        }

        for (int i = 0; i < s.Length; i++)
        {
            TAdd.Add(ref d[(long)i * s.S1], x[(long)i * s.S0]);
        }
    }
}

/// <summary>
/// torch.gather: operand 0 the index, 1 the source with the gathered axis' stride set to 0,
/// 2 the output; the index picks the position along the axis.
/// </summary>
internal readonly unsafe struct GatherSegments<T>(long* index, T* src, T* dst, int axisStride) : ISegmentKernel where T : unmanaged
{
    public void Run(in Segment s)
    {
        long* idx = index + s.O0;
        T* x = src + s.O1, d = dst + s.O2;
        for (int i = 0; i < s.Length; i++)
        {
            d[(long)i * s.S2] = x[((long)i * s.S1) + (idx[(long)i * s.S0] * axisStride)];
        }
    }
}

/// <summary>torch.scatter_add_: operand 0 the index, 1 the source, 2 the destination with the scattered axis' stride set to 0.</summary>
internal readonly unsafe struct ScatterAddSegments<T, TAdd>(long* index, T* src, T* dst, int axisStride) : ISegmentKernel
    where T : unmanaged
    where TAdd : IAccumulate<T>
{
    public void Run(in Segment s)
    {
        long* idx = index + s.O0;
        T* x = src + s.O1, d = dst + s.O2;
        for (int i = 0; i < s.Length; i++)
        {
            TAdd.Add(ref d[((long)i * s.S2) + (idx[(long)i * s.S0] * axisStride)], x[(long)i * s.S1]);
        }
    }
}
