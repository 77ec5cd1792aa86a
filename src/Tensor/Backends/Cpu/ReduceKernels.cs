using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// A reduction as three pieces: reduce one contiguous row to a value (vectorised), combine two
/// partial values, and combine a row into an accumulator row (for reductions over outer axes,
/// where whole output rows are updated at once).
/// </summary>
internal interface IReduceKernel<T>
{
    /// <summary>Reduces a non-empty contiguous row.</summary>
    static abstract T ReduceRow(ReadOnlySpan<T> row);

    /// <summary>Combines two partial results.</summary>
    static abstract T Combine(T a, T b);

    /// <summary>acc[i] = combine(acc[i], row[i]).</summary>
    static abstract void CombineRows(ReadOnlySpan<T> row, Span<T> acc);

    /// <summary>The value of an empty reduction.</summary>
    static abstract T Empty { get; }
}

internal readonly struct SumReduce<T> : IReduceKernel<T> where T : INumber<T>
{
    public static T ReduceRow(ReadOnlySpan<T> row) => AccurateSum.Sum(row);
    public static T Combine(T a, T b) => a + b;
    public static void CombineRows(ReadOnlySpan<T> row, Span<T> acc) => TP.Add(acc, row, acc);
    public static T Empty => T.Zero;
}

internal readonly struct ProdReduce<T> : IReduceKernel<T> where T : INumber<T>
{
    public static T ReduceRow(ReadOnlySpan<T> row) => TP.Product(row);
    public static T Combine(T a, T b) => a * b;
    public static void CombineRows(ReadOnlySpan<T> row, Span<T> acc) => TP.Multiply(acc, row, acc);
    public static T Empty => T.One;
}

/// <summary>NaN-propagating maximum (TensorPrimitives.Max and T.Max both return NaN if any input is NaN).</summary>
internal readonly struct MaxReduce<T> : IReduceKernel<T> where T : INumber<T>
{
    public static T ReduceRow(ReadOnlySpan<T> row) => TP.Max(row);
    public static T Combine(T a, T b) => T.Max(a, b);
    public static void CombineRows(ReadOnlySpan<T> row, Span<T> acc) => TP.Max(acc, row, acc);
    public static T Empty => T.Zero;
}

/// <summary>NaN-propagating minimum.</summary>
internal readonly struct MinReduce<T> : IReduceKernel<T> where T : INumber<T>
{
    public static T ReduceRow(ReadOnlySpan<T> row) => TP.Min(row);
    public static T Combine(T a, T b) => T.Min(a, b);
    public static void CombineRows(ReadOnlySpan<T> row, Span<T> acc) => TP.Min(acc, row, acc);
    public static T Empty => T.Zero;
}
