using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// gradInput = gradOutput * op'(input) on one block of at most <see cref="UnaryBlocks.Size"/>
/// elements. The derivative is built in scratch and multiplied (or selected) into gi last, so gi
/// may be gradOutput itself. Formulas follow PyTorch's derivatives.yaml, edge cases included.
/// </summary>
internal interface IUnaryBackwardKernel<T> where T : unmanaged
{
    /// <summary>Rough cost per element in simple operations, for the parallel split.</summary>
    static abstract int Cost { get; }

    /// <summary>One block: x is the input, y the output, go the incoming gradient; s1..s3 scratch of the block's length.</summary>
    static abstract void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p);
}

internal readonly struct NegBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p) => TP.Negate(go, gi);
}

/// <summary>grad * sign(x): zero at 0, NaN at NaN (as torch's abs backward).</summary>
internal readonly struct AbsBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        VectorMap.Map(x, x, s1, default(SignOp<T>));
        TP.Multiply(go, s1, gi);
    }
}

internal readonly struct SignBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p) => gi.Clear();
}

internal readonly struct ExpBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p) => TP.Multiply(go, y, gi);
}

internal readonly struct LogBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p) => TP.Divide(go, x, gi);
}

/// <summary>grad / (2 sqrt x).</summary>
internal readonly struct SqrtBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Add(y, y, s1);
        TP.Divide(go, s1, gi);
    }
}

/// <summary>-0.5 * grad * x^-1.5 = -0.5 * grad * y^3.</summary>
internal readonly struct RsqrtBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 3;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Multiply(y, y, s1);
        TP.Multiply(s1, y, s1);
        TP.Multiply(s1, T.CreateTruncating(-0.5), s1);
        TP.Multiply(go, s1, gi);
    }
}

internal readonly struct SquareBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Add(x, x, s1);
        TP.Multiply(go, s1, gi);
    }
}

/// <summary>-grad * y^2.</summary>
internal readonly struct ReciprocalBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Multiply(y, y, s1);
        TP.Negate(s1, s1);
        TP.Multiply(go, s1, gi);
    }
}

/// <summary>x &lt;= 0 ? 0 : grad (a select, so relu'(0) = 0 and an infinite grad is not turned into NaN).</summary>
internal readonly struct ReluBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p) =>
        VectorMap.Map(x, go, gi, default(ReluGradOp<T>));
}

internal readonly struct LeakyReluBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p) =>
        VectorMap.Map(x, go, gi, new LeakyReluGradOp<T>(p.A));
}

/// <summary>grad where min &lt;= x &lt;= max (inclusive, as PyTorch), else 0.</summary>
internal readonly struct ClampBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 1;
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p) =>
        VectorMap.Map(x, go, gi, new ClampGradOp<T>(p.HasA ? p.A : T.NegativeInfinity, p.HasB ? p.B : T.PositiveInfinity));
}

/// <summary>
/// The derivative of the tanh formula itself (not of exact GELU): with u = b(x + k x^3),
/// 0.5(1 + tanh u) + 0.5x(1 - tanh^2 u) b(1 + 3k x^2).
/// </summary>
internal readonly struct GeluTanhBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 12;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        T beta = T.CreateTruncating(UnaryBlocks.GeluBeta);
        T half = T.CreateTruncating(0.5);
        TP.Multiply(x, x, s1);                                                  // x^2
        TP.Multiply(s1, T.CreateTruncating(UnaryBlocks.GeluBeta * UnaryBlocks.GeluKappa), s2);
        TP.Add(s2, beta, s2);
        TP.Multiply(s2, x, s2);                                                 // u
        TP.Tanh(s2, s2);                                                        // tanh u
        TP.Multiply(s1, T.CreateTruncating(3 * UnaryBlocks.GeluBeta * UnaryBlocks.GeluKappa), s3);
        TP.Add(s3, beta, s3);                                                   // b(1 + 3k x^2)
        TP.Multiply(s2, s2, s1);
        TP.Subtract(T.One, s1, s1);                                             // 1 - tanh^2 u
        TP.Multiply(s1, s3, s1);
        TP.Multiply(s1, x, s1);
        TP.Add(s2, T.One, s2);
        TP.Add(s1, s2, s1);
        TP.Multiply(s1, half, s1);
        TP.Multiply(go, s1, gi);
    }
}

/// <summary>Phi(x) + x*phi(x).</summary>
internal readonly struct GeluErfBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double OneOverSqrt2Pi = 0.3989422804014327;

    public static int Cost => 20;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        if (typeof(T) == typeof(float))
        {
            ApplyFloat(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(go), MemoryMarshal.Cast<T, float>(gi));
            return;
        }

        for (int i = 0; i < x.Length; i++)
        {
            gi[i] = go[i] * T.CreateTruncating(SpecialFunctions.GeluErfDerivative(double.CreateTruncating(x[i])));
        }
    }

    private static void ApplyFloat(ReadOnlySpan<float> x, ReadOnlySpan<float> go, Span<float> gi)
    {
        if (GeluErfFloat32.IsSupported)
        {
            GeluErfFloat32.Backward(x, go, gi);
            return;
        }

        int n = x.Length;
        Span<double> scratch = stackalloc double[5 * UnaryBlocks.Size];
        Span<double> z = scratch[..n], e = scratch.Slice(UnaryBlocks.Size, n), pdf = scratch.Slice(4 * UnaryBlocks.Size, n);
        FloatErfc.OfScaledAbs(x, z, e, scratch.Slice(2 * UnaryBlocks.Size, 2 * UnaryBlocks.Size));
        TP.Multiply(z, z, pdf);
        TP.Negate(pdf, pdf);
        TP.Exp(pdf, pdf);                                                       // exp(-x^2/2)
        for (int j = 0; j < n; j++)
        {
            double v = x[j];
            double cdf = v >= 0 ? 1 - (0.5 * e[j]) : 0.5 * e[j];
            gi[j] = go[j] * (float)(cdf + (v * OneOverSqrt2Pi * pdf[j]));
        }
    }
}

/// <summary>s(1 + x(1 - s)) with s = sigmoid(x).</summary>
internal readonly struct SiluBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 8;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Sigmoid(x, s1);
        TP.Subtract(T.One, s1, s2);
        TP.Multiply(s2, x, s2);
        TP.Add(s2, T.One, s2);
        TP.Multiply(s2, s1, s2);
        TP.Multiply(go, s2, gi);
    }
}

/// <summary>y(1 - y).</summary>
internal readonly struct SigmoidBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Subtract(T.One, y, s1);
        TP.Multiply(s1, y, s1);
        TP.Multiply(go, s1, gi);
    }
}

/// <summary>1 - y^2.</summary>
internal readonly struct TanhBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 2;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Multiply(y, y, s1);
        TP.Subtract(T.One, s1, s1);
        TP.Multiply(go, s1, gi);
    }
}

internal readonly struct SinBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Cos(x, s1);
        TP.Multiply(go, s1, gi);
    }
}

internal readonly struct CosBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 4;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        TP.Sin(x, s1);
        TP.Negate(s1, s1);
        TP.Multiply(go, s1, gi);
    }
}

/// <summary>p*x^(p-1), and 0 where p == 0 (as PyTorch, so 0^-1 never appears).</summary>
internal readonly struct PowScalarBackward<T> : IUnaryBackwardKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Cost => 8;

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> go, Span<T> gi, Span<T> s1, Span<T> s2, Span<T> s3, in UnaryScalars<T> p)
    {
        T exponent = p.A;
        if (exponent == T.Zero)
        {
            gi.Clear();
            return;
        }

        if (exponent == T.One)
        {
            go.CopyTo(gi);
            return;
        }

        if (exponent == T.CreateTruncating(2))
        {
            TP.Add(x, x, s1);
        }
        else
        {
            TP.Pow(x, exponent - T.One, s1);
            TP.Multiply(s1, exponent, s1);
        }

        TP.Multiply(go, s1, gi);
    }
}

/// <summary>x &lt;= 0 ? 0 : g.</summary>
internal readonly struct ReluGradOp<T> : IVectorOp<T> where T : unmanaged, INumber<T>
{
    public T Apply(T x, T g) => x <= T.Zero ? T.Zero : g;

    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<T>.Zero), Vector256<T>.Zero, g);

    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<T>.Zero), Vector512<T>.Zero, g);
}

/// <summary>x &gt; 0 ? g : slope*g.</summary>
internal readonly struct LeakyReluGradOp<T>(T slope) : IVectorOp<T> where T : unmanaged, INumber<T>
{
    public T Apply(T x, T g) => x > T.Zero ? g : g * slope;

    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), g, g * slope);

    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), g, g * slope);
}

/// <summary>min &lt;= x &lt;= max ? g : 0 (NaN x gives 0).</summary>
internal readonly struct ClampGradOp<T>(T min, T max) : IVectorOp<T> where T : unmanaged, INumber<T>
{
    public T Apply(T x, T g) => x >= min && x <= max ? g : T.Zero;

    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256.Create(min)) & Vector256.LessThanOrEqual(x, Vector256.Create(max)), g, Vector256<T>.Zero);

    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512.Create(min)) & Vector512.LessThanOrEqual(x, Vector512.Create(max)), g, Vector512<T>.Zero);
}
