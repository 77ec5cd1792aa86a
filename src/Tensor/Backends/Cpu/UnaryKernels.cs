using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>The scalar parameters of a unary operation in the element type; a bound that is absent (NaN in <see cref="UnaryArgs"/>) has its flag cleared.</summary>
internal readonly struct UnaryScalars<T>(T a, T b, bool hasA, bool hasB)
{
    public readonly T A = a;
    public readonly T B = b;
    public readonly bool HasA = hasA;
    public readonly bool HasB = hasB;
}

/// <summary>An element-wise function of one tensor on spans (d may be x itself).</summary>
internal interface IUnaryKernel<T> where T : unmanaged
{
    /// <summary>Rough cost per element in simple operations, for the parallel split.</summary>
    static abstract int Cost { get; }

    /// <summary>d[i] = f(x[i]).</summary>
    static abstract void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p);
}

/// <summary>Constants and block sizes shared by the kernels composed from several TensorPrimitives passes.</summary>
internal static class UnaryBlocks
{
    /// <summary>Elements per block: small enough that every pass over a block hits L1.</summary>
    public const int Size = 256;

    /// <summary>sqrt(2/pi), the scale inside GELU's tanh.</summary>
    public const double GeluBeta = 0.7978845608028654;

    /// <summary>The cubic coefficient of GELU's tanh form.</summary>
    public const double GeluKappa = 0.044715;

    public const double OneOverSqrt2 = 0.7071067811865476;
}

internal readonly struct NegKernel<T> : IUnaryKernel<T> where T : unmanaged, INumber<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Negate(x, d);
}

internal readonly struct AbsKernel<T> : IUnaryKernel<T> where T : unmanaged, INumber<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Abs(x, d);
}

internal readonly struct SignKernel<T> : IUnaryKernel<T> where T : unmanaged, INumber<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => VectorMap.Map(x, x, d, default(SignOp<T>));
}

internal readonly struct SquareKernel<T> : IUnaryKernel<T> where T : unmanaged, INumber<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Multiply(x, x, d);
}

/// <summary>max(x, 0), keeping NaN (TensorPrimitives.Max propagates it, as torch.relu does).</summary>
internal readonly struct ReluKernel<T> : IUnaryKernel<T> where T : unmanaged, INumber<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Max(x, T.Zero, d);
}

internal readonly struct ClampKernel<T> : IUnaryKernel<T> where T : unmanaged, INumber<T>
{
    public static int Cost => 1;

    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p)
    {
        ReadOnlySpan<T> source = x;
        if (p.HasA)
        {
            TP.Max(source, p.A, d);
            source = d;
        }

        if (p.HasB)
        {
            TP.Min(source, p.B, d);
            source = d;
        }

        if (!p.HasA && !p.HasB)
        {
            x.CopyTo(d);
        }
    }
}

internal readonly struct ExpKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Exp(x, d);
}

internal readonly struct LogKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Log(x, d);
}

internal readonly struct SqrtKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Sqrt(x, d);
}

internal readonly struct RsqrtKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.ReciprocalSqrt(x, d);
}

internal readonly struct ReciprocalKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Reciprocal(x, d);
}

internal readonly struct SigmoidKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Sigmoid(x, d);
}

internal readonly struct TanhKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Tanh(x, d);
}

internal readonly struct SinKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Sin(x, d);
}

internal readonly struct CosKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => TP.Cos(x, d);
}

internal readonly struct PowScalarKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 8;

    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p)
    {
        // The common exponents skip pow's log/exp; results are identical.
        if (p.A == T.CreateTruncating(2))
        {
            TP.Multiply(x, x, d);
        }
        else if (p.A == T.One)
        {
            x.CopyTo(d);
        }
        else
        {
            TP.Pow(x, p.A, d);
        }
    }
}

internal readonly struct LeakyReluKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p) => VectorMap.Map(x, x, d, new LeakyReluOp<T>(p.A));
}

/// <summary>x*sigmoid(x), in L1-sized blocks so x may alias d.</summary>
internal readonly struct SiluKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 5;

    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p)
    {
        Span<T> t = stackalloc T[UnaryBlocks.Size];
        for (int i = 0; i < x.Length; i += UnaryBlocks.Size)
        {
            int n = Math.Min(UnaryBlocks.Size, x.Length - i);
            Span<T> tb = t[..n];
            TP.Sigmoid(x.Slice(i, n), tb);
            TP.Multiply(x.Slice(i, n), tb, d.Slice(i, n));
        }
    }
}

/// <summary>
/// GELU's tanh form, rewritten as x*sigmoid(2u) with u = sqrt(2/pi)(x + 0.044715x^3), since
/// 0.5(1 + tanh u) = sigmoid(2u): one transcendental instead of tanh plus extra passes.
/// </summary>
internal readonly struct GeluTanhKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 6;

    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p)
    {
        T twoBetaKappa = T.CreateTruncating(2 * UnaryBlocks.GeluBeta * UnaryBlocks.GeluKappa);
        T twoBeta = T.CreateTruncating(2 * UnaryBlocks.GeluBeta);
        Span<T> t = stackalloc T[UnaryBlocks.Size];
        for (int i = 0; i < x.Length; i += UnaryBlocks.Size)
        {
            int n = Math.Min(UnaryBlocks.Size, x.Length - i);
            ReadOnlySpan<T> xb = x.Slice(i, n);
            Span<T> tb = t[..n];
            TP.Multiply(xb, xb, tb);
            TP.Multiply(tb, twoBetaKappa, tb);
            TP.Add(tb, twoBeta, tb);
            TP.Multiply(tb, xb, tb);
            TP.Sigmoid(tb, tb);
            TP.Multiply(xb, tb, d.Slice(i, n));
        }
    }
}

/// <summary>
/// Exact GELU x*Phi(x). Float64 uses the accurate scalar erfc; float32 a vectorised erfc (in
/// double, relative error about 1e-7) written so negative inputs keep their relative accuracy.
/// </summary>
internal readonly struct GeluErfKernel<T> : IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 16;

    public static void Apply(ReadOnlySpan<T> x, Span<T> d, in UnaryScalars<T> p)
    {
        if (typeof(T) == typeof(float))
        {
            ApplyFloat(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
            return;
        }

        for (int i = 0; i < x.Length; i++)
        {
            d[i] = T.CreateTruncating(SpecialFunctions.GeluErf(double.CreateTruncating(x[i])));
        }
    }

    private static void ApplyFloat(ReadOnlySpan<float> x, Span<float> d)
    {
        if (GeluErfFloat32.IsSupported)
        {
            GeluErfFloat32.Forward(x, d);
            return;
        }

        Span<double> scratch = stackalloc double[4 * UnaryBlocks.Size];
        for (int i = 0; i < x.Length; i += UnaryBlocks.Size)
        {
            int n = Math.Min(UnaryBlocks.Size, x.Length - i);
            Span<double> z = scratch[..n], e = scratch.Slice(UnaryBlocks.Size, n);
            FloatErfc.OfScaledAbs(x.Slice(i, n), z, e, scratch.Slice(2 * UnaryBlocks.Size, 2 * UnaryBlocks.Size));
            for (int j = 0; j < n; j++)
            {
                double v = x[i + j];
                d[i + j] = (float)(v >= 0 ? v * (1 - (0.5 * e[j])) : 0.5 * v * e[j]);
            }
        }
    }
}

/// <summary>The float32 erfc step shared by exact GELU and its derivative.</summary>
internal static class FloatErfc
{
    /// <summary>z = |x|/sqrt 2 widened to double, and e = erfc(z); scratch holds two blocks.</summary>
    public static void OfScaledAbs(ReadOnlySpan<float> x, Span<double> z, Span<double> e, Span<double> scratch)
    {
        int n = x.Length;
        TP.ConvertTruncating(x, z);
        TP.Abs(z, z);
        TP.Multiply(z, UnaryBlocks.OneOverSqrt2, z);
        SpecialFunctions.ErfcApprox(z, e, scratch[..n], scratch.Slice(scratch.Length / 2, n));
    }
}

/// <summary>sign(x) in {-1, 0, 1}; NaN (and zero) pass through unchanged, as in torch.sign.</summary>
internal readonly struct SignOp<T> : IVectorOp<T> where T : unmanaged, INumber<T>
{
    public T Apply(T x, T y) => x > T.Zero ? T.One : x < T.Zero ? -T.One : x;

    public Vector256<T> Apply(Vector256<T> x, Vector256<T> y) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256<T>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), -Vector256<T>.One, x));

    public Vector512<T> Apply(Vector512<T> x, Vector512<T> y) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), Vector512<T>.One,
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), -Vector512<T>.One, x));
}

/// <summary>x &gt; 0 ? x : slope*x (NaN stays NaN).</summary>
internal readonly struct LeakyReluOp<T>(T slope) : IVectorOp<T> where T : unmanaged, INumber<T>
{
    public T Apply(T x, T y) => x > T.Zero ? x : x * slope;

    public Vector256<T> Apply(Vector256<T> x, Vector256<T> y) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, x * slope);

    public Vector512<T> Apply(Vector512<T> x, Vector512<T> y) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, x * slope);
}
