using System.Numerics;
using System.Runtime.CompilerServices;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Single-threaded, cache-blocked GEMM in the GotoBLAS/BLIS style, specialised per micro-kernel.
/// </summary>
/// <remarks>
/// <para>Loop nest (outer to inner), and which cache each packed operand is sized for:</para>
/// <code>
/// for jc in 0..n step NC           columns of C and B
///   for pc in 0..k step KC         depth
///     pack op(B)[pc.., jc..] -> Bp     KC x NC block: lives in L3 (shared), streamed once per MC block
///     for ic in 0..m step MC       rows of C and A
///       pack op(A)[ic.., pc..] -> Ap   MC x KC block: sized for L2, reused by every NR sliver of Bp
///       for jr in 0..NC step NR    one KC x NR sliver of Bp: sized for L1, reused by every MR sliver of Ap
///         for ir in 0..MC step MR
///           micro-kernel: C[ir.., jr..] (MR x NR, in registers) += Ap sliver * Bp sliver
/// </code>
/// <para>
/// Each level keeps the operand that the next-inner loop re-reads in the cache that can feed it fast enough:
/// the micro-kernel streams an A sliver (from L2) against a B sliver that stays in L1 across the whole
/// <c>ir</c> loop, and C is touched only once per KC block. KC is the largest depth whose B sliver
/// leaves room in the 48 KiB L1 for the A stream and the C tile (KC = 256 for the 8 x 32 float kernel);
/// MC x KC takes a quarter of the 1 MiB L2, leaving room for C lines and the next B slivers; NC bounds
/// the packed B block (4096 columns x 256 x 4 bytes = 4 MiB, well inside L3). Measured on Zen 5, KC of
/// 24/32/48 KiB of B sliver and MC of 192-512 KiB were within a few percent of each other, with 32 KiB best.
/// </para>
/// <para>
/// Block sizes are balanced: rather than <c>k = 256 + 256 + 8</c> we use three blocks of 176, so no
/// block is a sliver of wasted overhead.
/// </para>
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <typeparam name="TKernel">The register-blocked micro-kernel.</typeparam>
internal static unsafe class GemmDriver<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    // The three block sizes are static fields rather than constants only so that tuning runs
    // (benchmarks' --quick-gemm with GEMM_KC_BYTES / GEMM_MC_BYTES / GEMM_NC) can try other values.

    /// <summary>Bytes of one packed KC x NR sliver of B (kept in L1 across the <c>ir</c> loop).</summary>
    internal static int KcBytes = 32 * 1024;

    /// <summary>Bytes of one packed MC x KC block of A (kept in L2 across the <c>jr</c> loop).</summary>
    internal static int McBytes = 256 * 1024;

    /// <summary>Maximum columns of one packed KC x NC block of B.</summary>
    internal static int NcMax = 4096;

    /// <summary>
    /// <c>C = alpha * op(A) * op(B) + beta * C</c> on the calling thread. Requires m, n, k &gt; 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, nint lda, T* b, nint ldb, T beta, T* c, nint ldc)
    {
        var mr = TKernel.MR;
        var nr = TKernel.NR;
        var kcBlock = BalancedBlock(k, Math.Max(16, KcBytes / (nr * sizeof(T))), 1);
        var mcBlock = BalancedBlock(m, Math.Max(mr, McBytes / (kcBlock * sizeof(T)) / mr * mr), mr);
        var ncBlock = BalancedBlock(n, Math.Max(nr, NcMax / nr * nr), nr);

        // One scratch region, carved into: packed A block | packed B block | one C tile for edges.
        var bytesA = GemmScratch.AlignUp((nuint)(RoundUp(mcBlock, mr) * kcBlock * sizeof(T)));
        var bytesB = GemmScratch.AlignUp((nuint)(RoundUp(ncBlock, nr) * kcBlock * sizeof(T)));
        var bytesTile = GemmScratch.AlignUp((nuint)(mr * nr * sizeof(T)));
        var scratch = (byte*)GemmScratch.Current.Get(bytesA + bytesB + bytesTile);
        var packedA = (T*)scratch;
        var packedB = (T*)(scratch + bytesA);
        var tile = (T*)(scratch + bytesA + bytesB);

        for (var jc = 0; jc < n; jc += ncBlock)
        {
            var nc = Math.Min(ncBlock, n - jc);
            for (var pc = 0; pc < k; pc += kcBlock)
            {
                var kc = Math.Min(kcBlock, k - pc);
                GemmPacking.PackB(transB, b, ldb, pc, jc, kc, nc, nr, packedB);

                // Only the first depth block applies the caller's beta; later ones accumulate onto it.
                var betaBlock = pc == 0 ? beta : T.One;
                for (var ic = 0; ic < m; ic += mcBlock)
                {
                    var mc = Math.Min(mcBlock, m - ic);
                    GemmPacking.PackA(transA, a, lda, ic, pc, mc, kc, mr, packedA);
                    MacroKernel(mc, nc, kc, alpha, packedA, packedB, betaBlock, c + (ic * ldc) + jc, ldc, tile);
                }
            }
        }
    }

    /// <summary>Multiplies one packed A block by one packed B block into the corresponding block of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(int mc, int nc, int kc, T alpha, T* packedA, T* packedB, T beta,
        T* c, nint ldc, T* tile)
    {
        var mr = TKernel.MR;
        var nr = TKernel.NR;
        for (var jr = 0; jr < nc; jr += nr)
        {
            var cols = Math.Min(nr, nc - jr);
            var bSliver = packedB + ((nint)jr * kc);
            for (var ir = 0; ir < mc; ir += mr)
            {
                var rows = Math.Min(mr, mc - ir);
                var aSliver = packedA + ((nint)ir * kc);
                var cTile = c + (ir * ldc) + jr;
                if (rows == mr && cols == nr)
                {
                    TKernel.Run(kc, aSliver, bSliver, cTile, ldc, alpha, beta);
                }
                else
                {
                    // Edge tile: the packed operands are zero-padded, so run the full kernel into a
                    // private tile and merge only the valid rows x cols into C.
                    TKernel.Run(kc, aSliver, bSliver, tile, nr, T.One, T.Zero);
                    MergeTile(tile, nr, cTile, ldc, rows, cols, alpha, beta);
                }
            }
        }
    }

    /// <summary><c>C[0..rows, 0..cols] = alpha * tile + beta * C</c>, not reading C when beta is zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeTile(T* tile, int ldt, T* c, nint ldc, int rows, int cols, T alpha, T beta)
    {
        for (var i = 0; i < rows; i++)
        {
            var t = tile + (i * ldt);
            var row = c + (i * ldc);
            if (beta == T.Zero)
            {
                for (var j = 0; j < cols; j++)
                {
                    row[j] = alpha * t[j];
                }
            }
            else
            {
                for (var j = 0; j < cols; j++)
                {
                    row[j] = (alpha * t[j]) + (beta * row[j]);
                }
            }
        }
    }

    /// <summary>
    /// Splits <paramref name="total"/> into the fewest blocks of at most <paramref name="max"/> and returns a
    /// common block size (a multiple of <paramref name="unit"/>) that makes the blocks as even as possible.
    /// </summary>
    private static int BalancedBlock(int total, int max, int unit)
    {
        var blocks = (total + max - 1) / max;
        var size = (total + blocks - 1) / blocks;
        return RoundUp(size, unit);
    }

    private static int RoundUp(int value, int unit) => (value + unit - 1) / unit * unit;
}
