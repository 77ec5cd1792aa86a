using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Sums of long float32 rows without the error of one long serial accumulation: the row is cut
/// into blocks that TensorPrimitives sums with many vector accumulators, and the block sums are
/// added in double. Float64 and integer rows go straight to TensorPrimitives.
/// </summary>
internal static class AccurateSum
{
    /// <summary>Elements per block; TensorPrimitives spreads each over 16+ lanes, so every lane adds at most a few dozen values.</summary>
    private const int Block = 1024;

    /// <summary>The sum of <paramref name="x"/>.</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : INumber<T>
    {
        if (typeof(T) != typeof(float) || x.Length <= Block)
        {
            return TP.Sum(x);
        }

        double total = 0;
        for (int i = 0; i < x.Length; i += Block)
        {
            total += double.CreateTruncating(TP.Sum(x.Slice(i, Math.Min(Block, x.Length - i))));
        }

        return T.CreateTruncating(total);
    }

    /// <summary>The dot product of <paramref name="x"/> and <paramref name="y"/>, blocked the same way.</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : INumber<T>
    {
        if (typeof(T) != typeof(float) || x.Length <= Block)
        {
            return TP.Dot(x, y);
        }

        double total = 0;
        for (int i = 0; i < x.Length; i += Block)
        {
            int n = Math.Min(Block, x.Length - i);
            total += double.CreateTruncating(TP.Dot(x.Slice(i, n), y.Slice(i, n)));
        }

        return T.CreateTruncating(total);
    }
}
