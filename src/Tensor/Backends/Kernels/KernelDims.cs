using System.Runtime.CompilerServices;

namespace Spamp.Backends.Kernels;

/// <summary>Eight ints passed by value to a kernel: the <c>Dims</c> struct of the kernel prelude (a shape or strides).</summary>
[InlineArray(MaxRank)]
internal struct Dims8
{
    /// <summary>The most dimensions a kernel takes (after merging, see <see cref="KernelDims"/>).</summary>
    public const int MaxRank = 8;

    private int _element0;
}

/// <summary>
/// Prepares views for the strided kernels: drops size-1 dimensions and merges neighbours that every
/// operand walks as one (stride of the outer = stride of the inner * its size). A contiguous view,
/// or any view the same for all operands, becomes rank 1, which the kernels' <c>strided()</c>
/// handles without divisions; a broadcast or permuted view keeps only the dimensions it needs.
/// </summary>
internal static class KernelDims
{
    /// <summary>
    /// Merges the dimensions of <paramref name="shape"/> as walked by up to three operands (their
    /// strides; an absent operand passes an empty span). Returns the merged rank (at least 1).
    /// </summary>
    public static int Merge(
        ReadOnlySpan<int> shape, ReadOnlySpan<int> s0, ReadOnlySpan<int> s1, ReadOnlySpan<int> s2,
        out Dims8 mergedShape, out Dims8 m0, out Dims8 m1, out Dims8 m2)
    {
        mergedShape = default;
        m0 = default;
        m1 = default;
        m2 = default;
        int rank = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            int size = shape[d];
            if (size == 1)
            {
                continue;
            }

            if (rank > 0 && Mergeable(s0, m0, rank, d, size) && Mergeable(s1, m1, rank, d, size) && Mergeable(s2, m2, rank, d, size))
            {
                mergedShape[rank - 1] *= size;
                Set(ref m0, s0, rank - 1, d);
                Set(ref m1, s1, rank - 1, d);
                Set(ref m2, s2, rank - 1, d);
                continue;
            }

            if (rank == Dims8.MaxRank)
            {
                throw new NotSupportedException($"GPU kernels take views of at most {Dims8.MaxRank} dimensions after merging; shape [{string.Join(',', shape.ToArray())}] needs more");
            }

            mergedShape[rank] = size;
            Set(ref m0, s0, rank, d);
            Set(ref m1, s1, rank, d);
            Set(ref m2, s2, rank, d);
            rank++;
        }

        if (rank == 0)
        {
            // A single element (or a scalar): one dimension of size 1.
            mergedShape[0] = 1;
            return 1;
        }

        return rank;
    }

    /// <summary>Merges one operand's view (see the three-operand overload).</summary>
    public static int Merge(Layout layout, out Dims8 shape, out Dims8 strides) =>
        Merge(layout.Shape.AsSpan(), layout.Strides, [], [], out shape, out strides, out _, out _);

    private static bool Mergeable(ReadOnlySpan<int> strides, Dims8 merged, int rank, int d, int size) =>
        strides.IsEmpty || merged[rank - 1] == strides[d] * size;

    private static void Set(ref Dims8 merged, ReadOnlySpan<int> strides, int at, int d)
    {
        if (!strides.IsEmpty)
        {
            merged[at] = strides[d];
        }
    }
}
