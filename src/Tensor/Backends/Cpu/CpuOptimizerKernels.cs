using System.Numerics.Tensors;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

/// <summary>
/// CPU implementation of <see cref="OptimizerKernels"/>: SIMD over spans, one pass per kernel,
/// parallel over large chunks. Float32 and float64 storages.
/// </summary>
internal sealed unsafe partial class CpuOptimizerKernels : OptimizerKernels
{
    /// <summary>The single instance.</summary>
    public static CpuOptimizerKernels Instance { get; } = new();

    private CpuOptimizerKernels() { }

    /// <summary>Chunk size for parallel loops: big enough that a chunk outweighs scheduling.</summary>
    internal const int ParallelChunk = 1 << 16;

    internal static Span<T> Span<T>(Storage storage, int count) where T : unmanaged => ((CpuBuffer)storage.Buffer).AsSpan<T>(count);

    /// <inheritdoc/>
    public override double SumOfSquares(Storage values, int count) => values.DType switch
    {
        DType.Float32 => SumOfSquaresFloat(Span<float>(values, count)),
        DType.Float64 => SumOfSquaresDouble(Span<double>(values, count)),
        _ => throw new DTypeMismatchException($"sum_of_squares: {values.DType.Name()} is not supported"),
    };

    /// <inheritdoc/>
    public override double MaxAbs(Storage values, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        return values.DType switch
        {
            DType.Float32 => TensorPrimitives.MaxMagnitude(Span<float>(values, count)) is var m && float.IsNaN(m) ? double.NaN : Math.Abs(m),
            DType.Float64 => TensorPrimitives.MaxMagnitude(Span<double>(values, count)) is var d && double.IsNaN(d) ? double.NaN : Math.Abs(d),
            _ => throw new DTypeMismatchException($"max_abs: {values.DType.Name()} is not supported"),
        };
    }

    /// <inheritdoc/>
    public override void Scale(Storage values, int count, double factor)
    {
        if (values.DType == DType.Float32)
        {
            Span<float> span = Span<float>(values, count);
            TensorPrimitives.Multiply(span, (float)factor, span);
        }
        else
        {
            Span<double> span = Span<double>(values, count);
            TensorPrimitives.Multiply(span, factor, span);
        }
    }

    /// <inheritdoc/>
    public override void Axpy(Storage y, Storage x, int count, double alpha)
    {
        if (y.DType == DType.Float32)
        {
            Span<float> ys = Span<float>(y, count);
            TensorPrimitives.MultiplyAdd(Span<float>(x, count), (float)alpha, ys, ys);
        }
        else
        {
            Span<double> ys = Span<double>(y, count);
            TensorPrimitives.MultiplyAdd(Span<double>(x, count), alpha, ys, ys);
        }
    }

    /// <summary>
    /// Squared norm of float32 values accumulated in double (ALGORITHMS.md 0.1): blocks of 4096 are
    /// summed by TensorPrimitives in float32 (exact enough for a block) and the block sums in double.
    /// </summary>
    private static double SumOfSquaresFloat(ReadOnlySpan<float> values)
    {
        double total = 0;
        for (int start = 0; start < values.Length; start += 4096)
        {
            total += TensorPrimitives.SumOfSquares(values.Slice(start, Math.Min(4096, values.Length - start)));
        }

        return total;
    }

    private static double SumOfSquaresDouble(ReadOnlySpan<double> values) => TensorPrimitives.SumOfSquares(values);
}
