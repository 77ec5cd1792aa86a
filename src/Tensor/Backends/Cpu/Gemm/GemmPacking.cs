using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
                // Each of the `rows` rows is contiguous in memory: interleave them (a transpose).
                Interleave(a + ((nint)(i0 + s) * lda) + p0, lda, rows, kc, sliver, mr);
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
                // Each of the `cols` columns of op(B) is a contiguous row of the stored matrix: interleave them.
                Interleave(b + ((nint)(j0 + s) * ldb) + p0, ldb, cols, kc, sliver, nr);
            }
        }
    }

    /// <summary>
    /// Writes <c>dst[p*width + r] = src[r*srcStride + p]</c> for <c>r &lt; count</c>, <c>p &lt; kc</c>, and zero for
    /// <c>count &lt;= r &lt; width</c>: turns <paramref name="count"/> contiguous source rows into one packed sliver.
    /// </summary>
    /// <remarks>
    /// This is a transpose, and element by element it costs a cycle or more per value, which for small
    /// products is comparable to the arithmetic. So square blocks of one AVX vector (8 x 8 floats or
    /// 4 x 4 doubles) are transposed in registers with shuffles, and only the ragged remainder goes
    /// element by element.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Interleave<T>(T* src, nint srcStride, int count, int kc, T* dst, int width)
        where T : unmanaged, INumber<T>
    {
        var v = Vector256<T>.Count;
        var fullGroups = 0;
        var p = 0;
        if (Avx.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            fullGroups = count / v;
            if (fullGroups > 0)
            {
                for (; p <= kc - v; p += v)
                {
                    for (var g = 0; g < fullGroups; g++)
                    {
                        var r = g * v;
                        TransposeBlock(src + (r * srcStride) + p, srcStride, dst + ((nint)p * width) + r, width);
                    }
                }
            }
        }

        // Rows covered by the vector transposes, for the depths they did not reach; then the remaining rows.
        var vectorRows = fullGroups * v;
        for (var q = p; q < kc; q++)
        {
            var d = dst + ((nint)q * width);
            for (var r = 0; r < vectorRows; r++)
            {
                d[r] = src[(r * srcStride) + q];
            }
        }

        for (var q = 0; q < kc; q++)
        {
            var d = dst + ((nint)q * width);
            for (var r = vectorRows; r < count; r++)
            {
                d[r] = src[(r * srcStride) + q];
            }

            for (var r = count; r < width; r++)
            {
                d[r] = T.Zero;
            }
        }
    }

    /// <summary>
    /// Transposes one <c>V x V</c> block (<c>V = Vector256&lt;T&gt;.Count</c>):
    /// <c>dst[q*dstStride + r] = src[r*srcStride + q]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeBlock<T>(T* src, nint srcStride, T* dst, nint dstStride)
        where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            Transpose8x8((float*)src, srcStride, (float*)dst, dstStride);
        }
        else
        {
            Transpose4x4((double*)src, srcStride, (double*)dst, dstStride);
        }
    }

    /// <summary>8 x 8 float transpose in three shuffle stages (pairs, quads, 128-bit halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + (2 * srcStride));
        var r3 = Avx.LoadVector256(src + (3 * srcStride));
        var r4 = Avx.LoadVector256(src + (4 * srcStride));
        var r5 = Avx.LoadVector256(src + (5 * srcStride));
        var r6 = Avx.LoadVector256(src + (6 * srcStride));
        var r7 = Avx.LoadVector256(src + (7 * srcStride));

        // Stage 1: interleave row pairs. t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], ...
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        // Stage 2: combine pairs into quads. u0 = r0[0] r1[0] r2[0] r3[0] | r0[4] r1[4] r2[4] r3[4], ...
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);

        // Stage 3: join the 128-bit halves of rows 0-3 and rows 4-7.
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + (2 * dstStride), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + (3 * dstStride), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + (4 * dstStride), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + (5 * dstStride), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + (6 * dstStride), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + (7 * dstStride), Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>4 x 4 double transpose: interleave row pairs, then join 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(double* src, nint srcStride, double* dst, nint dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + (2 * srcStride));
        var r3 = Avx.LoadVector256(src + (3 * srcStride));
        var t0 = Avx.UnpackLow(r0, r1);   // r0[0] r1[0] | r0[2] r1[2]
        var t1 = Avx.UnpackHigh(r0, r1);  // r0[1] r1[1] | r0[3] r1[3]
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(dst, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(dst + (2 * dstStride), Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(dst + (3 * dstStride), Avx.Permute2x128(t1, t3, 0x31));
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
