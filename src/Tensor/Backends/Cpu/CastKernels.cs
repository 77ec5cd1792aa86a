using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>A conversion between two element types, per element and on spans.</summary>
internal interface IConverter<TFrom, TTo>
{
    static abstract TTo Convert(TFrom x);

    static abstract void Convert(ReadOnlySpan<TFrom> x, Span<TTo> d);
}

/// <summary>
/// Between the arithmetic types (float, double, Half, int, long): floating to integer truncates
/// toward zero and saturates, integer to narrower integer wraps, as a C cast and PyTorch do.
/// </summary>
internal readonly struct NumericConverter<TFrom, TTo> : IConverter<TFrom, TTo>
    where TFrom : INumberBase<TFrom>
    where TTo : INumberBase<TTo>
{
    public static TTo Convert(TFrom x) => TTo.CreateTruncating(x);

    public static void Convert(ReadOnlySpan<TFrom> x, Span<TTo> d) => TP.ConvertTruncating(x, d);
}

/// <summary>x != 0; NaN is true (NaN compares unequal to zero).</summary>
internal readonly struct ToBoolConverter<TFrom> : IConverter<TFrom, bool> where TFrom : INumberBase<TFrom>
{
    public static bool Convert(TFrom x) => !TFrom.IsZero(x);

    public static void Convert(ReadOnlySpan<TFrom> x, Span<bool> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = !TFrom.IsZero(x[i]);
        }
    }
}

internal readonly struct FromBoolConverter<TTo> : IConverter<bool, TTo> where TTo : INumberBase<TTo>
{
    public static TTo Convert(bool x) => x ? TTo.One : TTo.Zero;

    public static void Convert(ReadOnlySpan<bool> x, Span<TTo> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = x[i] ? TTo.One : TTo.Zero;
        }
    }
}

/// <summary>bfloat16 widens exactly to float32, then converts on.</summary>
internal readonly struct FromBFloat16Converter<TTo> : IConverter<BFloat16, TTo> where TTo : INumberBase<TTo>
{
    public static TTo Convert(BFloat16 x) => TTo.CreateTruncating((float)x);

    public static void Convert(ReadOnlySpan<BFloat16> x, Span<TTo> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TTo.CreateTruncating((float)x[i]);
        }
    }
}

/// <summary>To float32 first, then rounded to nearest-even bfloat16 (PyTorch's path too).</summary>
internal readonly struct ToBFloat16Converter<TFrom> : IConverter<TFrom, BFloat16> where TFrom : INumberBase<TFrom>
{
    public static BFloat16 Convert(TFrom x) => (BFloat16)float.CreateTruncating(x);

    public static void Convert(ReadOnlySpan<TFrom> x, Span<BFloat16> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = (BFloat16)float.CreateTruncating(x[i]);
        }
    }
}

internal readonly struct BFloat16ToBoolConverter : IConverter<BFloat16, bool>
{
    public static bool Convert(BFloat16 x) => (x.Bits & 0x7FFF) != 0;

    public static void Convert(ReadOnlySpan<BFloat16> x, Span<bool> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = (x[i].Bits & 0x7FFF) != 0;
        }
    }
}

internal readonly struct BoolToBFloat16Converter : IConverter<bool, BFloat16>
{
    private static readonly BFloat16 One = (BFloat16)1f;

    public static BFloat16 Convert(bool x) => x ? One : default;

    public static void Convert(ReadOnlySpan<bool> x, Span<BFloat16> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = x[i] ? One : default;
        }
    }
}

/// <summary>Operand 0 is the (strided) source, 1 the contiguous destination.</summary>
internal readonly unsafe struct CastSegments<TFrom, TTo, TConverter> : ISegmentKernel
    where TFrom : unmanaged
    where TTo : unmanaged
    where TConverter : IConverter<TFrom, TTo>
{
    private readonly TFrom* _src;
    private readonly TTo* _dst;

    public CastSegments(TFrom* src, TTo* dst)
    {
        _src = src;
        _dst = dst;
    }

    public void Run(in Segment s)
    {
        var d = new Span<TTo>(_dst + s.O1, s.Length);
        if (s.S0 == 1)
        {
            TConverter.Convert(new ReadOnlySpan<TFrom>(_src + s.O0, s.Length), d);
            return;
        }

        TFrom* x = _src + s.O0;
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TConverter.Convert(x[(long)i * s.S0]);
        }
    }
}

/// <summary>Element copies between two strided views of the same element size.</summary>
internal readonly unsafe struct CopySegments<T> : ISegmentKernel where T : unmanaged
{
    private readonly T* _src, _dst;

    public CopySegments(T* src, T* dst)
    {
        _src = src;
        _dst = dst;
    }

    public void Run(in Segment s)
    {
        if (s.S1 == 1)
        {
            StridedGather.Row(_src + s.O0, s.S0, new Span<T>(_dst + s.O1, s.Length));
            return;
        }

        T* x = _src + s.O0, d = _dst + s.O1;
        for (int i = 0; i < s.Length; i++)
        {
            d[(long)i * s.S1] = x[(long)i * s.S0];
        }
    }
}

/// <summary>Sets every element of a strided view (operand 0) to one value.</summary>
internal readonly unsafe struct FillSegments<T>(T* dst, T value) : ISegmentKernel where T : unmanaged
{
    public void Run(in Segment s)
    {
        if (s.S0 == 1)
        {
            new Span<T>(dst + s.O0, s.Length).Fill(value);
            return;
        }

        T* d = dst + s.O0;
        for (int i = 0; i < s.Length; i++)
        {
            d[(long)i * s.S0] = value;
        }
    }
}
