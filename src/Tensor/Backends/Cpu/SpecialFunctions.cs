using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// The error function and what GELU needs from it. .NET has no erf, so this is one written for
/// the purpose: a power series where it converges with only positive terms and a continued
/// fraction for the tail, both accurate to a few units in the last place of a double.
/// </summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;
    private const double OneOverSqrt2 = 0.7071067811865476;
    private const double OneOverSqrt2Pi = 0.3989422804014327;

    // Below this erfc is taken as 1 - erf (erfc >= 0.034 there, so the subtraction loses at most
    // a few ulps); above it the continued fraction converges in under a hundred steps.
    private const double ContinuedFractionFrom = 1.5;

    // Beyond this the series needs too many terms; erf is 1 - erfc instead.
    private const double SeriesUpTo = 2.5;

    /// <summary>erf(x) with relative error about 1e-15.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        if (ax <= SeriesUpTo)
        {
            return ErfSeries(x);
        }

        double tail = ErfcContinuedFraction(ax);
        return x > 0 ? 1 - tail : tail - 1;
    }

    /// <summary>erfc(x) = 1 - erf(x) with relative error about 1e-15, also deep in the tail.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        if (x < ContinuedFractionFrom)
        {
            return x < -SeriesUpTo ? 2 - ErfcContinuedFraction(-x) : 1 - ErfSeries(x);
        }

        return ErfcContinuedFraction(x);
    }

    /// <summary>
    /// erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): every term has x's sign,
    /// so nothing cancels and the sum is accurate to rounding.
    /// </summary>
    private static double ErfSeries(double x)
    {
        double twoX2 = 2 * x * x;
        double term = x, sum = x;
        for (int n = 1; n < 200 && Math.Abs(term) > Math.Abs(sum) * 1e-17; n++)
        {
            term *= twoX2 / ((2 * n) + 1);
            sum += term;
        }

        return TwoOverSqrtPi * Math.Exp(-x * x) * sum;
    }

    /// <summary>
    /// erfc(x) for x &gt; 0 from erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
    /// evaluated forwards with the modified Lentz method.
    /// </summary>
    private static double ErfcContinuedFraction(double x)
    {
        if (x > 27.3)
        {
            return 0; // below the smallest subnormal double
        }

        const double Tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 2000; n++)
        {
            double a = 0.5 * n;
            d = x + (a * d);
            d = d == 0 ? 1 / Tiny : 1 / d;
            c = x + (a / c);
            if (c == 0)
            {
                c = Tiny;
            }

            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }

        return Math.Exp(-x * x) * OneOverSqrtPi / f;
    }

    /// <summary>Exact GELU x*Phi(x), written with erfc for negative x so the small result keeps its relative accuracy.</summary>
    public static double GeluErf(double x) =>
        x >= 0 ? x * (1 - (0.5 * Erfc(x * OneOverSqrt2))) : 0.5 * x * Erfc(-x * OneOverSqrt2);

    /// <summary>d/dx of exact GELU: Phi(x) + x*phi(x).</summary>
    public static double GeluErfDerivative(double x)
    {
        double cdf = x >= 0 ? 1 - (0.5 * Erfc(x * OneOverSqrt2)) : 0.5 * Erfc(-x * OneOverSqrt2);
        return cdf + (x * OneOverSqrt2Pi * Math.Exp(-0.5 * x * x));
    }

    /// <summary>
    /// erfc(z) for z &gt;= 0 on a block, vectorised, with relative error below 1.1e-7 (enough for
    /// float32 results): erfc(z) = t*exp(-z^2 + P(t)) with t = 1/(1 + z/2) and P a degree-9
    /// polynomial (the classic Chebyshev fit of Numerical Recipes' erfcc). Computed in double so
    /// the exponent's rounding does not cost float32 accuracy.
    /// </summary>
    public static void ErfcApprox(ReadOnlySpan<double> z, Span<double> result, Span<double> t, Span<double> u)
    {
        ReadOnlySpan<double> c =
        [
            -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
            0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
        ];
        int n = z.Length;
        t = t[..n];
        result = result[..n];
        TP.Multiply(z, 0.5, t);
        TP.Add(t, 1.0, t);
        TP.Reciprocal(t, t);
        result.Fill(c[9]);
        for (int k = 8; k >= 0; k--)
        {
            TP.MultiplyAdd(result, t, c[k], result);
        }

        // result = P(t) - z^2, then t * exp(result)
        u = u[..n];
        TP.Multiply(z, z, u);
        TP.Subtract(result, u, result);
        TP.Exp(result, result);
        TP.Multiply(result, t, result);
    }
}
