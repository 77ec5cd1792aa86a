using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// An element-wise function of two values, on scalars and on spans. Static abstract members let the
/// JIT specialise every loop for one operation and one type, with no virtual calls.
/// </summary>
internal interface IBinaryKernel<T>
{
    /// <summary>a op b for one pair.</summary>
    static abstract T Apply(T a, T b);

    /// <summary>d[i] = a[i] op b[i].</summary>
    static abstract void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d);

    /// <summary>d[i] = a[i] op b.</summary>
    static abstract void Apply(ReadOnlySpan<T> a, T b, Span<T> d);

    /// <summary>d[i] = a op b[i].</summary>
    static abstract void Apply(T a, ReadOnlySpan<T> b, Span<T> d);
}

internal readonly struct AddKernel<T> : IBinaryKernel<T> where T : INumber<T>
{
    public static T Apply(T a, T b) => a + b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Add(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Add(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Add(b, a, d);
}

internal readonly struct SubKernel<T> : IBinaryKernel<T> where T : INumber<T>
{
    public static T Apply(T a, T b) => a - b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Subtract(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Subtract(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Subtract(a, b, d);
}

internal readonly struct MulKernel<T> : IBinaryKernel<T> where T : INumber<T>
{
    public static T Apply(T a, T b) => a * b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Multiply(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Multiply(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Multiply(b, a, d);
}

internal readonly struct DivKernel<T> : IBinaryKernel<T> where T : INumber<T>
{
    public static T Apply(T a, T b) => a / b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Divide(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Divide(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Divide(a, b, d);
}

internal readonly struct PowKernel<T> : IBinaryKernel<T> where T : IPowerFunctions<T>
{
    public static T Apply(T a, T b) => T.Pow(a, b);
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Pow(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Pow(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Pow(a, b, d);
}

/// <summary>max(a, b); NaN in either operand gives NaN (IEEE 754 maximum, as torch.maximum).</summary>
internal readonly struct MaximumKernel<T> : IBinaryKernel<T> where T : INumber<T>
{
    public static T Apply(T a, T b) => T.Max(a, b);
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Max(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Max(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Max(b, a, d);
}

/// <summary>min(a, b); NaN in either operand gives NaN (IEEE 754 minimum, as torch.minimum).</summary>
internal readonly struct MinimumKernel<T> : IBinaryKernel<T> where T : INumber<T>
{
    public static T Apply(T a, T b) => T.Min(a, b);
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Min(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Min(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Min(b, a, d);
}

/// <summary>
/// Operands 0 and 1 are the inputs, 2 the contiguous output. Picks the span-span, span-scalar or
/// scalar-span form per segment so broadcasts along the inner dimension stay vectorised.
/// </summary>
internal readonly unsafe struct BinarySegments<T, TOp> : ISegmentKernel
    where T : unmanaged
    where TOp : IBinaryKernel<T>
{
    private readonly T* _a, _b, _d;

    public BinarySegments(T* a, T* b, T* d)
    {
        _a = a;
        _b = b;
        _d = d;
    }

    public void Run(in Segment s)
    {
        var d = new Span<T>(_d + s.O2, s.Length);
        if (s.S0 == 1 && s.S1 == 1)
        {
            TOp.Apply(new ReadOnlySpan<T>(_a + s.O0, s.Length), new ReadOnlySpan<T>(_b + s.O1, s.Length), d);
        }
        else if (s.S0 == 1 && s.S1 == 0)
        {
            TOp.Apply(new ReadOnlySpan<T>(_a + s.O0, s.Length), _b[s.O1], d);
        }
        else if (s.S0 == 0 && s.S1 == 1)
        {
            TOp.Apply(_a[s.O0], new ReadOnlySpan<T>(_b + s.O1, s.Length), d);
        }
        else
        {
            T* a = _a + s.O0, b = _b + s.O1;
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = TOp.Apply(a[(long)i * s.S0], b[(long)i * s.S1]);
            }
        }
    }
}

/// <summary>
/// dst = src op scalar (or scalar op src). Operand 0 is the source, 1 the contiguous output. A
/// strided source row is first gathered into the output so the operation itself always runs on spans.
/// </summary>
internal readonly unsafe struct BinaryScalarSegments<T, TOp> : ISegmentKernel
    where T : unmanaged
    where TOp : IBinaryKernel<T>
{
    private readonly T* _src, _d;
    private readonly T _scalar;
    private readonly bool _scalarFirst;

    public BinaryScalarSegments(T* src, T scalar, bool scalarFirst, T* d)
    {
        _src = src;
        _scalar = scalar;
        _scalarFirst = scalarFirst;
        _d = d;
    }

    public void Run(in Segment s)
    {
        var d = new Span<T>(_d + s.O1, s.Length);
        ReadOnlySpan<T> x;
        if (s.S0 == 1)
        {
            x = new ReadOnlySpan<T>(_src + s.O0, s.Length);
        }
        else
        {
            StridedGather.Row(_src + s.O0, s.S0, d);
            x = d;
        }

        if (_scalarFirst)
        {
            TOp.Apply(_scalar, x, d);
        }
        else
        {
            TOp.Apply(x, _scalar, d);
        }
    }
}

/// <summary>Copies of one strided row into a contiguous span.</summary>
internal static unsafe class StridedGather
{
    /// <summary>d[i] = src[i * stride]; a zero stride broadcasts one value.</summary>
    public static void Row<T>(T* src, int stride, Span<T> d) where T : unmanaged
    {
        if (stride == 0)
        {
            d.Fill(*src);
        }
        else if (stride == 1)
        {
            new ReadOnlySpan<T>(src, d.Length).CopyTo(d);
        }
        else
        {
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = src[(long)i * stride];
            }
        }
    }
}
