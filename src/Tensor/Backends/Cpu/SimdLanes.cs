using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Spamp.Backends.Cpu;

/// <summary>
/// A group of lanes of <typeparamref name="T"/> with the arithmetic the fused optimizer kernels
/// need, so each kernel's per-element math is written once and runs at three widths: 16 floats
/// (AVX-512), 8 floats (AVX2) and one element (the tail). The JIT specialises every generic kernel
/// per lane struct and inlines these wrappers into plain vector instructions.
/// </summary>
internal unsafe interface ISimdLanes<TSelf, T>
    where TSelf : struct, ISimdLanes<TSelf, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Number of lanes.</summary>
    static abstract int Count { get; }

    /// <summary>True when this width runs in hardware on this machine.</summary>
    static abstract bool IsAccelerated { get; }

    static abstract TSelf Load(T* source);

    static abstract void Store(TSelf value, T* destination);

    static abstract TSelf Broadcast(T value);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);

    static abstract TSelf Sqrt(TSelf a);

    /// <summary>Lane-wise maximum; NaN propagates (torch.maximum).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>Lane-wise sign: 1, -1, or 0 for zero (and for NaN).</summary>
    static abstract TSelf Sign(TSelf a);
}

/// <summary>16 float32 (8 float64) lanes.</summary>
internal readonly unsafe struct Lanes512<T>(Vector512<T> value) : ISimdLanes<Lanes512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector512<T> _value = value;

    public static int Count => Vector512<T>.Count;

    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Load(T* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes512<T> value, T* destination) => value._value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Broadcast(T value) => new(Vector512.Create(value));

    public static Lanes512<T> operator +(Lanes512<T> a, Lanes512<T> b) => new(a._value + b._value);

    public static Lanes512<T> operator -(Lanes512<T> a, Lanes512<T> b) => new(a._value - b._value);

    public static Lanes512<T> operator *(Lanes512<T> a, Lanes512<T> b) => new(a._value * b._value);

    public static Lanes512<T> operator /(Lanes512<T> a, Lanes512<T> b) => new(a._value / b._value);

    public static Lanes512<T> operator -(Lanes512<T> a) => new(-a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Sqrt(Lanes512<T> a) => new(Vector512.Sqrt(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Max(Lanes512<T> a, Lanes512<T> b) => new(Vector512.Max(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Sign(Lanes512<T> a)
    {
        Vector512<T> one = Vector512<T>.One;
        return new((Vector512.GreaterThan(a._value, Vector512<T>.Zero) & one) - (Vector512.LessThan(a._value, Vector512<T>.Zero) & one));
    }
}

/// <summary>8 float32 (4 float64) lanes.</summary>
internal readonly unsafe struct Lanes256<T>(Vector256<T> value) : ISimdLanes<Lanes256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector256<T> _value = value;

    public static int Count => Vector256<T>.Count;

    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Load(T* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes256<T> value, T* destination) => value._value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Broadcast(T value) => new(Vector256.Create(value));

    public static Lanes256<T> operator +(Lanes256<T> a, Lanes256<T> b) => new(a._value + b._value);

    public static Lanes256<T> operator -(Lanes256<T> a, Lanes256<T> b) => new(a._value - b._value);

    public static Lanes256<T> operator *(Lanes256<T> a, Lanes256<T> b) => new(a._value * b._value);

    public static Lanes256<T> operator /(Lanes256<T> a, Lanes256<T> b) => new(a._value / b._value);

    public static Lanes256<T> operator -(Lanes256<T> a) => new(-a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Sqrt(Lanes256<T> a) => new(Vector256.Sqrt(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Max(Lanes256<T> a, Lanes256<T> b) => new(Vector256.Max(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Sign(Lanes256<T> a)
    {
        Vector256<T> one = Vector256<T>.One;
        return new((Vector256.GreaterThan(a._value, Vector256<T>.Zero) & one) - (Vector256.LessThan(a._value, Vector256<T>.Zero) & one));
    }
}

/// <summary>One lane: the scalar tail of every kernel, and the reference the vector widths must match.</summary>
internal readonly unsafe struct Lanes1<T>(T value) : ISimdLanes<Lanes1<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _value = value;

    public static int Count => 1;

    public static bool IsAccelerated => true;

    public static Lanes1<T> Load(T* source) => new(*source);

    public static void Store(Lanes1<T> value, T* destination) => *destination = value._value;

    public static Lanes1<T> Broadcast(T value) => new(value);

    public static Lanes1<T> operator +(Lanes1<T> a, Lanes1<T> b) => new(a._value + b._value);

    public static Lanes1<T> operator -(Lanes1<T> a, Lanes1<T> b) => new(a._value - b._value);

    public static Lanes1<T> operator *(Lanes1<T> a, Lanes1<T> b) => new(a._value * b._value);

    public static Lanes1<T> operator /(Lanes1<T> a, Lanes1<T> b) => new(a._value / b._value);

    public static Lanes1<T> operator -(Lanes1<T> a) => new(-a._value);

    public static Lanes1<T> Sqrt(Lanes1<T> a) => new(T.Sqrt(a._value));

    public static Lanes1<T> Max(Lanes1<T> a, Lanes1<T> b) => new(T.IsNaN(a._value) || T.IsNaN(b._value) ? T.NaN : T.Max(a._value, b._value));

    public static Lanes1<T> Sign(Lanes1<T> a) => new(a._value > T.Zero ? T.One : a._value < T.Zero ? -T.One : T.Zero);
}
