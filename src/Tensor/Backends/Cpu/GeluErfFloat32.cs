using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Exact GELU and its derivative for float32 in one AVX-512 pass: 16 floats are widened to two
/// double vectors, erfc is evaluated as t*exp(-z^2 + P(t)) (the same fit as
/// <see cref="SpecialFunctions.ErfcApprox"/>, relative error about 1e-7), and the result is narrowed
/// back. About ten times faster than composing TensorPrimitives passes, which remain the path on
/// machines without AVX-512.
/// </summary>
internal static class GeluErfFloat32
{
    private const double OneOverSqrt2 = 0.7071067811865476;
    private const double OneOverSqrt2Pi = 0.3989422804014327;

    /// <summary>Whether the one-pass kernels can run here.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>d = x * Phi(x).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> d)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dr = ref MemoryMarshal.GetReference(d);
        int i = 0;
        for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref xr, (nuint)i));
            Vector512.Narrow(Gelu(lo), Gelu(hi)).StoreUnsafe(ref dr, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            d[i] = (float)SpecialFunctions.GeluErf(x[i]);
        }
    }

    /// <summary>gi = go * (Phi(x) + x*phi(x)).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> go, Span<float> gi)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(go);
        ref float dr = ref MemoryMarshal.GetReference(gi);
        int i = 0;
        for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref xr, (nuint)i));
            var derivative = Vector512.Narrow(Derivative(lo), Derivative(hi));
            (Vector512.LoadUnsafe(ref gr, (nuint)i) * derivative).StoreUnsafe(ref dr, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            gi[i] = go[i] * (float)SpecialFunctions.GeluErfDerivative(x[i]);
        }
    }

    /// <summary>Phi(x) = 0.5 erfc(-x/sqrt 2), from erfc(|x|/sqrt 2) so both tails keep relative accuracy.</summary>
    private static Vector512<double> Cdf(Vector512<double> x, Vector512<double> z)
    {
        var halfTail = Erfc(z) * 0.5;
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<double>.Zero), Vector512<double>.One - halfTail, halfTail);
    }

    private static Vector512<double> Gelu(Vector512<double> x) => x * Cdf(x, Vector512.Abs(x) * OneOverSqrt2);

    private static Vector512<double> Derivative(Vector512<double> x)
    {
        var z = Vector512.Abs(x) * OneOverSqrt2;
        var pdf = Vector512.Exp(-(z * z)) * OneOverSqrt2Pi;
        return Cdf(x, z) + (x * pdf);
    }

    /// <summary>erfc(z) for z &gt;= 0: t*exp(-z^2 + P(t)), t = 1/(1 + z/2), P of degree 9 by Horner's rule.</summary>
    private static Vector512<double> Erfc(Vector512<double> z)
    {
        var t = Vector512<double>.One / Vector512.FusedMultiplyAdd(z, Vector512.Create(0.5), Vector512<double>.One);
        var p = Vector512.Create(0.17087277);
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-0.82215223));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.48851587));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-1.13520398));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.27886807));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-0.18628806));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.09678418));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.37409196));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.00002368));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-1.26551223));
        return t * Vector512.Exp(p - (z * z));
    }
}
