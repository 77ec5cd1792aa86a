using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous layouts the micro-kernels stream through.
/// </summary>
/// <remarks>
/// <para>
/// Why pack: the micro-kernel reads, for every k step, <c>MR</c> elements of A and <c>NR</c> elements of B.
/// In the user's layout those are scattered (a column of row-major A is strided by <c>lda</c>; a transposed
/// operand is strided the other way), which wastes cache lines, defeats the hardware prefetchers and causes
/// TLB misses. After packing, the kernel reads both operands strictly sequentially, every byte of every
/// cache line it loads is used, and the transpose flags are handled here once instead of in the hot loop.
/// The copy costs O(mk + kn) per block against O(mnk) arithmetic, so it pays for itself for all but tiny
/// problems.
/// </para>
/// <para>
/// Layouts (element type <c>T</c>):
/// </para>
/// <list type="bullet">
/// <item>Packed A block (<c>mc x kc</c>): consecutive slivers of <c>MR</c> rows; sliver <c>s</c> starts at
/// <c>s * MR * kc</c> and holds, for each <c>p</c> in <c>0..kc</c>, the <c>MR</c> values
/// <c>op(A)[s*MR + r, p]</c>. Rows past <c>mc</c> are zero.</item>
/// <item>Packed B block (<c>kc x nc</c>): consecutive slivers of <c>NR</c> columns; sliver <c>s</c> starts at
/// <c>s * NR * kc</c> and holds, for each <c>p</c>, the <c>NR</c> values <c>op(B)[p, s*NR + j]</c>.
/// Columns past <c>nc</c> are zero.</item>
/// </list>
/// <para>Zero padding lets edge tiles run the same full-size kernel; the driver then writes back only
/// the valid part.</para>
/// </remarks>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs <c>op(A)[i0 .. i0+mc, p0 .. p0+kc]</c> into <paramref name="dst"/> as <paramref name="mr"/>-row slivers.
    /// </summary>
    /// <remarks>op(A)[i, p] is <c>a[i*lda + p]</c>, or <c>a[p*lda + i]</c> when <paramref name="transA"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(bool transA, T* a, nint lda, int i0, int p0, int mc, int kc, int mr, T* dst)
        where T : unmanaged, INumber<T>
    {
        for (var s = 0; s < mc; s += mr)
        {
            var rows = Math.Min(mr, mc - s);
            var sliver = dst + ((nint)s * kc);
            if (transA)
            {
                // Each k step is a contiguous run of `rows` elements in memory: a row copy.
                for (var p = 0; p < kc; p++)
                {
                    var src = a + ((nint)(p0 + p) * lda) + i0 + s;
                    var d = sliver + ((nint)p * mr);
                    CopyContiguous(src, d, rows);
                    for (var r = rows; r < mr; r++)
                    {
                        d[r] = T.Zero;
                    }
                }
            }
            else
            {
                // Each of the `rows` rows is contiguous in memory; interleave them. Walking p in the outer
                // loop writes the destination sequentially while reading `rows` sequential streams,
                // which the hardware prefetchers follow well.
                var src = a + ((nint)(i0 + s) * lda) + p0;
                if (rows == mr)
                {
                    for (var p = 0; p < kc; p++)
                    {
                        var d = sliver + ((nint)p * mr);
                        var col = src + p;
                        for (var r = 0; r < mr; r++)
                        {
                            d[r] = col[r * lda];
                        }
                    }
                }
                else
                {
                    for (var p = 0; p < kc; p++)
                    {
                        var d = sliver + ((nint)p * mr);
                        var col = src + p;
                        for (var r = 0; r < rows; r++)
                        {
                            d[r] = col[r * lda];
                        }

                        for (var r = rows; r < mr; r++)
                        {
                            d[r] = T.Zero;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs <c>op(B)[p0 .. p0+kc, j0 .. j0+nc]</c> into <paramref name="dst"/> as <paramref name="nr"/>-column slivers.
    /// </summary>
    /// <remarks>op(B)[p, j] is <c>b[p*ldb + j]</c>, or <c>b[j*ldb + p]</c> when <paramref name="transB"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(bool transB, T* b, nint ldb, int p0, int j0, int kc, int nc, int nr, T* dst)
        where T : unmanaged, INumber<T>
    {
        for (var s = 0; s < nc; s += nr)
        {
            var cols = Math.Min(nr, nc - s);
            var sliver = dst + ((nint)s * kc);
            if (!transB)
            {
                // Each k step is a contiguous run of `cols` elements: a row copy.
                for (var p = 0; p < kc; p++)
                {
                    var src = b + ((nint)(p0 + p) * ldb) + j0 + s;
                    var d = sliver + ((nint)p * nr);
                    CopyContiguous(src, d, cols);
                    for (var j = cols; j < nr; j++)
                    {
                        d[j] = T.Zero;
                    }
                }
            }
            else
            {
                // Each of the `cols` columns of op(B) is a contiguous row of the stored matrix; interleave them.
                var src = b + ((nint)(j0 + s) * ldb) + p0;
                for (var p = 0; p < kc; p++)
                {
                    var d = sliver + ((nint)p * nr);
                    var row = src + p;
                    for (var j = 0; j < cols; j++)
                    {
                        d[j] = row[j * ldb];
                    }

                    for (var j = cols; j < nr; j++)
                    {
                        d[j] = T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> elements with the widest vectors available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyContiguous<T>(T* src, T* dst, int count)
        where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                Vector512.Store(Vector512.Load(src + i), dst + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                Vector256.Store(Vector256.Load(src + i), dst + i);
            }
        }

        for (; i < count; i++)
        {
            dst[i] = src[i];
        }
    }
}
