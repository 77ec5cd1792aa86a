using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Spamp.Backends.Cpu;

/// <summary>
/// AVX2 + FMA3 micro-kernel for machines without (or with disabled) AVX-512: a 6 x (2 x
/// <c>Vector256&lt;T&gt;.Count</c>) tile of C (6 x 16 floats or 6 x 8 doubles) in 12 ymm accumulators.
/// </summary>
/// <remarks>
/// Without AVX-512 there are only 16 vector registers: 12 accumulators + 2 B vectors + 1 broadcast = 15.
/// Twelve independent FMA chains cover the two FMA pipes times their ~4-5 cycle latency of AVX2 cores.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal readonly unsafe struct GemmMicroKernel256<T> : IGemmMicroKernel<T>
    where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static int MR => 6;

    /// <inheritdoc/>
    public static int NR => 2 * Vector256<T>.Count;

    /// <inheritdoc/>
    public static bool IsSupported =>
        Vector256.IsHardwareAccelerated && Fma.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <inheritdoc/>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
    {
        var w = Vector256<T>.Count;
        Vector256<T> c00 = Vector256<T>.Zero, c01 = Vector256<T>.Zero;
        Vector256<T> c10 = Vector256<T>.Zero, c11 = Vector256<T>.Zero;
        Vector256<T> c20 = Vector256<T>.Zero, c21 = Vector256<T>.Zero;
        Vector256<T> c30 = Vector256<T>.Zero, c31 = Vector256<T>.Zero;
        Vector256<T> c40 = Vector256<T>.Zero, c41 = Vector256<T>.Zero;
        Vector256<T> c50 = Vector256<T>.Zero, c51 = Vector256<T>.Zero;

        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadAligned(b);
            var b1 = Vector256.LoadAligned(b + w);
            Vector256<T> ai;
            ai = Vector256.Create(a[0]);
            c00 = FusedMultiplyAdd(ai, b0, c00);
            c01 = FusedMultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = FusedMultiplyAdd(ai, b0, c10);
            c11 = FusedMultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = FusedMultiplyAdd(ai, b0, c20);
            c21 = FusedMultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = FusedMultiplyAdd(ai, b0, c30);
            c31 = FusedMultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]);
            c40 = FusedMultiplyAdd(ai, b0, c40);
            c41 = FusedMultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]);
            c50 = FusedMultiplyAdd(ai, b0, c50);
            c51 = FusedMultiplyAdd(ai, b1, c51);
            a += 6;
            b += 2 * w;
        }

        var va = Vector256.Create(alpha);
        if (beta == T.Zero)
        {
            // beta == 0: C is overwritten without being read (it may hold garbage such as NaN).
            Store(c, c00, c01, va);
            Store(c + ldc, c10, c11, va);
            Store(c + (2 * ldc), c20, c21, va);
            Store(c + (3 * ldc), c30, c31, va);
            Store(c + (4 * ldc), c40, c41, va);
            Store(c + (5 * ldc), c50, c51, va);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Update(c, c00, c01, va, vb);
            Update(c + ldc, c10, c11, va, vb);
            Update(c + (2 * ldc), c20, c21, va, vb);
            Update(c + (3 * ldc), c30, c31, va, vb);
            Update(c + (4 * ldc), c40, c41, va, vb);
            Update(c + (5 * ldc), c50, c51, va, vb);
        }
    }

    /// <summary><c>acc + x * y</c> with a single rounding, as one vfmadd instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> FusedMultiplyAdd(Vector256<T> x, Vector256<T> y, Vector256<T> acc)
    {
        if (typeof(T) == typeof(float))
        {
            return Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        }

        return Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }

    /// <summary>Row write-back for beta == 0: <c>C = alpha * acc</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* row, Vector256<T> acc0, Vector256<T> acc1, Vector256<T> alpha)
    {
        Vector256.Store(acc0 * alpha, row);
        Vector256.Store(acc1 * alpha, row + Vector256<T>.Count);
    }

    /// <summary>Row write-back for general beta: <c>C = alpha * acc + beta * C</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(T* row, Vector256<T> acc0, Vector256<T> acc1, Vector256<T> alpha, Vector256<T> beta)
    {
        var c1 = row + Vector256<T>.Count;
        Vector256.Store(FusedMultiplyAdd(Vector256.Load(row), beta, acc0 * alpha), row);
        Vector256.Store(FusedMultiplyAdd(Vector256.Load(c1), beta, acc1 * alpha), c1);
    }
}
