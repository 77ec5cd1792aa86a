using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Spamp.Backends.Cpu;

/// <summary>
/// AVX-512 micro-kernel: an 8 x (2 x <c>Vector512&lt;T&gt;.Count</c>) tile of C (8 x 32 floats or 8 x 16 doubles)
/// held in 16 zmm accumulators.
/// </summary>
/// <remarks>
/// <para>
/// Each k step loads one packed row of B (two zmm registers), then for each of the 8 rows broadcasts one
/// element of packed A and issues two fused multiply-adds. Register budget (AVX-512 has 32 zmm registers):
/// 16 accumulators + 2 B vectors + 1 broadcast = 19, so nothing spills.
/// </para>
/// <para>
/// Why this shape: Zen 5 (and Intel server cores) retire two 512-bit FMAs per cycle with a latency of about
/// four cycles, so at least 8 independent accumulator chains are needed just to keep the FMA pipes busy;
/// 16 chains leave slack for load latency. Per k step the kernel issues 16 FMAs against 2 vector loads
/// and 8 broadcasts, well within the two-to-three loads per cycle the core sustains. Taller tiles
/// (12 x 32, 14 x 32, which still fit in 32 registers) do more FMAs per B load, but measured on Zen 5 they were
/// 3-5% slower than 8 x 32 at n = 1024-2048, and 8 rows divide the power-of-two sizes common in deep
/// learning, so no rows of an edge tile are wasted. Each tile row is two full vectors of C, written back
/// with two plain stores.
/// </para>
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal readonly unsafe struct GemmMicroKernel512<T> : IGemmMicroKernel<T>
    where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static int MR => 8;

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

        // Start pulling the C tile towards L1 now; its lines arrive while the k loop runs, so the
        // write-back at the end does not stall on cache misses.
        for (var i = 0; i < 8; i++)
        {
            Sse.Prefetch0(c + (i * ldc));
            Sse.Prefetch0(c + (i * ldc) + w + w - 1);
        }

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
            a += 8;
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
