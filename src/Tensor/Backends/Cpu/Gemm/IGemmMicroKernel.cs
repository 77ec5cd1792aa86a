using System.Numerics;

namespace Spamp.Backends.Cpu;

/// <summary>
/// The contract between the cache-blocked GEMM driver and a register-blocked micro-kernel.
/// </summary>
/// <remarks>
/// A micro-kernel computes one <c>MR x NR</c> tile of C from a packed <c>MR x kc</c> sliver of A
/// and a packed <c>kc x NR</c> sliver of B (see <see cref="GemmPacking"/> for the layouts).
/// Implementations are structs with static members so that <see cref="GemmDriver{T, TKernel}"/>
/// is specialised per kernel by the JIT: <c>MR</c> and <c>NR</c> become constants and the
/// kernel call is a direct (inlinable) call, with no virtual dispatch in the inner loops.
/// </remarks>
/// <typeparam name="T">Element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
internal interface IGemmMicroKernel<T>
    where T : unmanaged, INumber<T>
{
    /// <summary>Rows of C computed per call (rows of A broadcast per k step).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of C computed per call (elements of B loaded per k step).</summary>
    static abstract int NR { get; }

    /// <summary>Whether this kernel can run on the current hardware.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>
    /// <c>C[0..MR, 0..NR] = alpha * Apacked * Bpacked + beta * C</c>; when <paramref name="beta"/> is zero
    /// C is written without being read.
    /// </summary>
    /// <param name="kc">Depth of the packed slivers.</param>
    /// <param name="a">Packed A sliver: <c>kc</c> groups of <c>MR</c> consecutive elements.</param>
    /// <param name="b">Packed B sliver: <c>kc</c> groups of <c>NR</c> consecutive elements, 64-byte aligned.</param>
    /// <param name="c">Top-left element of the C tile.</param>
    /// <param name="ldc">Distance in elements between rows of C.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the existing C.</param>
    static abstract unsafe void Run(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta);
}
