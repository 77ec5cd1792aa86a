using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Spamp.Backends.Cpu;

/// <summary>
/// AVX-512 micro-kernel: a 14 x (2 x <c>Vector512&lt;T&gt;.Count</c>) tile of C (14 x 32 floats or 14 x 16 doubles)
/// held in 28 zmm accumulators.
/// </summary>
/// <remarks>
/// <para>
/// Each k step loads one packed row of B (two zmm registers), then for each of the 14 rows broadcasts one
/// element of packed A and issues two fused multiply-adds. Register budget (AVX-512 has 32 zmm registers):
/// 28 accumulators + 2 B vectors + 1 broadcast = 31, so nothing spills.
/// </para>
/// <para>
/// Why this shape: Zen 5 (and Intel server cores) retire two 512-bit FMAs per cycle with a latency of about
/// four cycles, so at least 8 independent accumulator chains are needed just to keep the FMA pipes busy.
/// Beyond that, a taller tile does more FMAs per loaded B vector (14 rows share each B load) and per byte of C
/// written back, which keeps the load ports and the memory system out of the way. The C row stride is
/// two full vectors wide, so every row of the tile is written with two plain vector stores.
/// </para>
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal readonly unsafe struct GemmMicroKernel512<T> : IGemmMicroKernel<T>
    where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static int MR => 14;

    /// <inheritdoc/>
    public static int NR => 2 * Vector512<T>.Count;

    /// <inheritdoc/>
    public static bool IsSupported =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <inheritdoc/>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
    {
        var w = Vector512<T>.Count;
        Vector512<T> c000 = Vector512<T>.Zero, c001 = Vector512<T>.Zero;
        Vector512<T> c010 = Vector512<T>.Zero, c011 = Vector512<T>.Zero;
        Vector512<T> c020 = Vector512<T>.Zero, c021 = Vector512<T>.Zero;
        Vector512<T> c030 = Vector512<T>.Zero, c031 = Vector512<T>.Zero;
        Vector512<T> c040 = Vector512<T>.Zero, c041 = Vector512<T>.Zero;
        Vector512<T> c050 = Vector512<T>.Zero, c051 = Vector512<T>.Zero;
        Vector512<T> c060 = Vector512<T>.Zero, c061 = Vector512<T>.Zero;
        Vector512<T> c070 = Vector512<T>.Zero, c071 = Vector512<T>.Zero;
        Vector512<T> c080 = Vector512<T>.Zero, c081 = Vector512<T>.Zero;
        Vector512<T> c090 = Vector512<T>.Zero, c091 = Vector512<T>.Zero;
        Vector512<T> c100 = Vector512<T>.Zero, c101 = Vector512<T>.Zero;
        Vector512<T> c110 = Vector512<T>.Zero, c111 = Vector512<T>.Zero;
        Vector512<T> c120 = Vector512<T>.Zero, c121 = Vector512<T>.Zero;
        Vector512<T> c130 = Vector512<T>.Zero, c131 = Vector512<T>.Zero;

        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + w);
            Vector512<T> ai;
            ai = Vector512.Create(a[0]);
            c000 = Fma(ai, b0, c000);
            c001 = Fma(ai, b1, c001);
            ai = Vector512.Create(a[1]);
            c010 = Fma(ai, b0, c010);
            c011 = Fma(ai, b1, c011);
            ai = Vector512.Create(a[2]);
            c020 = Fma(ai, b0, c020);
            c021 = Fma(ai, b1, c021);
            ai = Vector512.Create(a[3]);
            c030 = Fma(ai, b0, c030);
            c031 = Fma(ai, b1, c031);
            ai = Vector512.Create(a[4]);
            c040 = Fma(ai, b0, c040);
            c041 = Fma(ai, b1, c041);
            ai = Vector512.Create(a[5]);
            c050 = Fma(ai, b0, c050);
            c051 = Fma(ai, b1, c051);
            ai = Vector512.Create(a[6]);
            c060 = Fma(ai, b0, c060);
            c061 = Fma(ai, b1, c061);
            ai = Vector512.Create(a[7]);
            c070 = Fma(ai, b0, c070);
            c071 = Fma(ai, b1, c071);
            ai = Vector512.Create(a[8]);
            c080 = Fma(ai, b0, c080);
            c081 = Fma(ai, b1, c081);
            ai = Vector512.Create(a[9]);
            c090 = Fma(ai, b0, c090);
            c091 = Fma(ai, b1, c091);
            ai = Vector512.Create(a[10]);
            c100 = Fma(ai, b0, c100);
            c101 = Fma(ai, b1, c101);
            ai = Vector512.Create(a[11]);
            c110 = Fma(ai, b0, c110);
            c111 = Fma(ai, b1, c111);
            ai = Vector512.Create(a[12]);
            c120 = Fma(ai, b0, c120);
            c121 = Fma(ai, b1, c121);
            ai = Vector512.Create(a[13]);
            c130 = Fma(ai, b0, c130);
            c131 = Fma(ai, b1, c131);
            a += 14;
            b += 2 * w;
        }

        var va = Vector512.Create(alpha);
        if (beta == T.Zero)
        {
            // beta == 0: C is overwritten without being read (it may hold garbage such as NaN).
            Store(c + (0 * ldc), c000, c001, va);
            Store(c + (1 * ldc), c010, c011, va);
            Store(c + (2 * ldc), c020, c021, va);
            Store(c + (3 * ldc), c030, c031, va);
            Store(c + (4 * ldc), c040, c041, va);
            Store(c + (5 * ldc), c050, c051, va);
            Store(c + (6 * ldc), c060, c061, va);
            Store(c + (7 * ldc), c070, c071, va);
            Store(c + (8 * ldc), c080, c081, va);
            Store(c + (9 * ldc), c090, c091, va);
            Store(c + (10 * ldc), c100, c101, va);
            Store(c + (11 * ldc), c110, c111, va);
            Store(c + (12 * ldc), c120, c121, va);
            Store(c + (13 * ldc), c130, c131, va);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Update(c + (0 * ldc), c000, c001, va, vb);
            Update(c + (1 * ldc), c010, c011, va, vb);
            Update(c + (2 * ldc), c020, c021, va, vb);
            Update(c + (3 * ldc), c030, c031, va, vb);
            Update(c + (4 * ldc), c040, c041, va, vb);
            Update(c + (5 * ldc), c050, c051, va, vb);
            Update(c + (6 * ldc), c060, c061, va, vb);
            Update(c + (7 * ldc), c070, c071, va, vb);
            Update(c + (8 * ldc), c080, c081, va, vb);
            Update(c + (9 * ldc), c090, c091, va, vb);
            Update(c + (10 * ldc), c100, c101, va, vb);
            Update(c + (11 * ldc), c110, c111, va, vb);
            Update(c + (12 * ldc), c120, c121, va, vb);
            Update(c + (13 * ldc), c130, c131, va, vb);
        }
    }

    /// <summary><c>acc + x * y</c> with a single rounding, as one vfmadd instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> x, Vector512<T> y, Vector512<T> acc)
    {
        if (typeof(T) == typeof(float))
        {
            return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        }

        return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }

    /// <summary>Row write-back for beta == 0: <c>C = alpha * acc</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* row, Vector512<T> acc0, Vector512<T> acc1, Vector512<T> alpha)
    {
        Vector512.Store(acc0 * alpha, row);
        Vector512.Store(acc1 * alpha, row + Vector512<T>.Count);
    }

    /// <summary>Row write-back for general beta: <c>C = alpha * acc + beta * C</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(T* row, Vector512<T> acc0, Vector512<T> acc1, Vector512<T> alpha, Vector512<T> beta)
    {
        var c1 = row + Vector512<T>.Count;
        Vector512.Store(Fma(Vector512.Load(row), beta, acc0 * alpha), row);
        Vector512.Store(Fma(Vector512.Load(c1), beta, acc1 * alpha), c1);
    }
}
