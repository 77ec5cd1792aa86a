using System.Numerics;
using System.Runtime.CompilerServices;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Portable micro-kernel for hardware without x86 vector FMA (for example Arm64 today): a 4 x 4 tile in
/// 16 scalar locals, which the JIT keeps in registers. It is the same algorithm as the vector kernels,
/// so the blocking and packing code is exercised identically on every platform.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal readonly unsafe struct GemmMicroKernelScalar<T> : IGemmMicroKernel<T>
    where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static int MR => 4;

    /// <inheritdoc/>
    public static int NR => 4;

    /// <inheritdoc/>
    public static bool IsSupported => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
    {
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero;
        T c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero;
        T c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero;
        T c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (var p = 0; p < kc; p++)
        {
            T b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            var a0 = a[0];
            c00 += a0 * b0;
            c01 += a0 * b1;
            c02 += a0 * b2;
            c03 += a0 * b3;
            var a1 = a[1];
            c10 += a1 * b0;
            c11 += a1 * b1;
            c12 += a1 * b2;
            c13 += a1 * b3;
            var a2 = a[2];
            c20 += a2 * b0;
            c21 += a2 * b1;
            c22 += a2 * b2;
            c23 += a2 * b3;
            var a3 = a[3];
            c30 += a3 * b0;
            c31 += a3 * b1;
            c32 += a3 * b2;
            c33 += a3 * b3;
            a += 4;
            b += 4;
        }

        WriteRow(c, c00, c01, c02, c03, alpha, beta);
        WriteRow(c + ldc, c10, c11, c12, c13, alpha, beta);
        WriteRow(c + (2 * ldc), c20, c21, c22, c23, alpha, beta);
        WriteRow(c + (3 * ldc), c30, c31, c32, c33, alpha, beta);
    }

    private static void WriteRow(T* row, T x0, T x1, T x2, T x3, T alpha, T beta)
    {
        if (beta == T.Zero)
        {
            // beta == 0: C is overwritten without being read (it may hold garbage such as NaN).
            row[0] = alpha * x0;
            row[1] = alpha * x1;
            row[2] = alpha * x2;
            row[3] = alpha * x3;
        }
        else
        {
            row[0] = (alpha * x0) + (beta * row[0]);
            row[1] = (alpha * x1) + (beta * row[1]);
            row[2] = (alpha * x2) + (beta * row[2]);
            row[3] = (alpha * x3) + (beta * row[3]);
        }
    }
}
