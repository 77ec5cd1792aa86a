using System.Numerics;

namespace Spamp.Backends.Cpu;

/// <summary>
/// General matrix multiply on the CPU: <c>C = alpha * op(A) * op(B) + beta * C</c> for row-major
/// <see cref="float"/> and <see cref="double"/> matrices, plus batched variants.
/// </summary>
/// <remarks>
/// <para>
/// Matrices are row-major with explicit leading dimensions (the distance, in elements, between
/// consecutive stored rows), so sub-matrices and transposed views need no copy:
/// </para>
/// <list type="bullet">
/// <item><c>op(A)</c> is <c>m x k</c>. Without <c>transA</c> element (i, p) is <c>a[i*lda + p]</c>; with it A is
/// stored <c>k x m</c> and element (i, p) is <c>a[p*lda + i]</c>.</item>
/// <item><c>op(B)</c> is <c>k x n</c>. Without <c>transB</c> element (p, j) is <c>b[p*ldb + j]</c>; with it B is
/// stored <c>n x k</c> and element (p, j) is <c>b[j*ldb + p]</c>.</item>
/// <item>C is <c>m x n</c>, element (i, j) at <c>c[i*ldc + j]</c>.</item>
/// </list>
/// <para>
/// The work is done by <see cref="GemmDriver{T, TKernel}"/> (cache blocking and packing) around the widest
/// micro-kernel the hardware supports: AVX-512 (<see cref="GemmMicroKernel512{T}"/>), else AVX2 + FMA
/// (<see cref="GemmMicroKernel256{T}"/>), else portable scalar code (<see cref="GemmMicroKernelScalar{T}"/>).
/// Large problems are split across cores by <see cref="GemmJob{T, TKernel}"/>.
/// </para>
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>
    /// Below this many multiply-adds (m*n*k) a product runs on the calling thread. Waking a thread-pool
    /// worker costs roughly 10-20 us on this kind of VM; measured on 2 cores, splitting n = 96 was 2-3x slower
    /// than one thread, n = 128 broke even and n = 160 gained 1.4x.
    /// </summary>
    internal const long ParallelThreshold = 144L * 144 * 144;

    /// <summary>
    /// Batched products at least this large are parallelised inside each product; smaller ones are
    /// parallelised across the batch.
    /// </summary>
    internal const long BatchInnerParallelThreshold = 256L * 256 * 256;

    /// <summary>
    /// Single-precision GEMM: <c>C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C</c> (row-major).
    /// </summary>
    /// <param name="transA">A is stored <c>k x m</c> (use its transpose).</param>
    /// <param name="transB">B is stored <c>n x k</c> (use its transpose).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">First element of A.</param>
    /// <param name="lda">Leading dimension of A as stored (elements between rows).</param>
    /// <param name="b">First element of B.</param>
    /// <param name="ldb">Leading dimension of B as stored.</param>
    /// <param name="beta">Scale of the existing C. When zero, C is not read (it may contain NaN).</param>
    /// <param name="c">First element of C.</param>
    /// <param name="ldc">Leading dimension of C.</param>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        Dispatch(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// Double-precision GEMM: <c>C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C</c> (row-major).
    /// Parameters as for <see cref="Sgemm"/>.
    /// </summary>
    /// <param name="transA">A is stored <c>k x m</c> (use its transpose).</param>
    /// <param name="transB">B is stored <c>n x k</c> (use its transpose).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">First element of A.</param>
    /// <param name="lda">Leading dimension of A as stored.</param>
    /// <param name="b">First element of B.</param>
    /// <param name="ldb">Leading dimension of B as stored.</param>
    /// <param name="beta">Scale of the existing C. When zero, C is not read.</param>
    /// <param name="c">First element of C.</param>
    /// <param name="ldc">Leading dimension of C.</param>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        double* a, int lda, double* b, int ldb, double beta, double* c, int ldc) =>
        Dispatch(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// Batched single-precision GEMM: for each <c>i</c> in <c>0..batch</c>,
    /// <c>C_i = op(A_i) * op(B_i)</c> with <c>A_i = a + i*strideA</c> (likewise B and C; alpha 1, beta 0).
    /// A stride of 0 broadcasts one matrix to the whole batch.
    /// </summary>
    /// <param name="batch">Number of products.</param>
    /// <param name="transA">A is stored <c>k x m</c>.</param>
    /// <param name="transB">B is stored <c>n x k</c>.</param>
    /// <param name="m">Rows of each op(A_i) and C_i.</param>
    /// <param name="n">Columns of each op(B_i) and C_i.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="a">First A matrix.</param>
    /// <param name="strideA">Elements between consecutive A matrices (0: broadcast).</param>
    /// <param name="lda">Leading dimension of each A.</param>
    /// <param name="b">First B matrix.</param>
    /// <param name="strideB">Elements between consecutive B matrices (0: broadcast).</param>
    /// <param name="ldb">Leading dimension of each B.</param>
    /// <param name="c">First C matrix (overwritten, not read).</param>
    /// <param name="strideC">Elements between consecutive C matrices.</param>
    /// <param name="ldc">Leading dimension of each C.</param>
    public static void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k,
        float* a, long strideA, int lda, float* b, long strideB, int ldb, float* c, long strideC, int ldc) =>
        DispatchBatched(batch, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, c, strideC, ldc);

    /// <summary>
    /// Batched double-precision GEMM; see <see cref="SgemmBatched"/>.
    /// </summary>
    /// <param name="batch">Number of products.</param>
    /// <param name="transA">A is stored <c>k x m</c>.</param>
    /// <param name="transB">B is stored <c>n x k</c>.</param>
    /// <param name="m">Rows of each op(A_i) and C_i.</param>
    /// <param name="n">Columns of each op(B_i) and C_i.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="a">First A matrix.</param>
    /// <param name="strideA">Elements between consecutive A matrices (0: broadcast).</param>
    /// <param name="lda">Leading dimension of each A.</param>
    /// <param name="b">First B matrix.</param>
    /// <param name="strideB">Elements between consecutive B matrices (0: broadcast).</param>
    /// <param name="ldb">Leading dimension of each B.</param>
    /// <param name="c">First C matrix (overwritten, not read).</param>
    /// <param name="strideC">Elements between consecutive C matrices.</param>
    /// <param name="ldc">Leading dimension of each C.</param>
    public static void DgemmBatched(int batch, bool transA, bool transB, int m, int n, int k,
        double* a, long strideA, int lda, double* b, long strideB, int ldb, double* c, long strideC, int ldc) =>
        DispatchBatched(batch, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, c, strideC, ldc);

    /// <summary>Picks the widest supported micro-kernel. The checks are JIT-time constants.</summary>
    private static void Dispatch<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, INumber<T>
    {
        if (GemmMicroKernel512<T>.IsSupported)
        {
            Run<T, GemmMicroKernel512<T>>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else if (GemmMicroKernel256<T>.IsSupported)
        {
            Run<T, GemmMicroKernel256<T>>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else
        {
            Run<T, GemmMicroKernelScalar<T>>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    private static void DispatchBatched<T>(int batch, bool transA, bool transB, int m, int n, int k,
        T* a, long strideA, int lda, T* b, long strideB, int ldb, T* c, long strideC, int ldc)
        where T : unmanaged, INumber<T>
    {
        if (GemmMicroKernel512<T>.IsSupported)
        {
            RunBatched<T, GemmMicroKernel512<T>>(batch, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, c, strideC, ldc);
        }
        else if (GemmMicroKernel256<T>.IsSupported)
        {
            RunBatched<T, GemmMicroKernel256<T>>(batch, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, c, strideC, ldc);
        }
        else
        {
            RunBatched<T, GemmMicroKernelScalar<T>>(batch, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, c, strideC, ldc);
        }
    }

    /// <summary>
    /// GEMM with an explicit micro-kernel (the public entry points pick one; tests use this to cover
    /// every kernel on one machine).
    /// </summary>
    internal static void Run<T, TKernel>(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, INumber<T>
        where TKernel : struct, IGemmMicroKernel<T>
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0 || alpha == T.Zero)
        {
            // No product to add (BLAS semantics: A and B are not read, so their NaNs do not propagate).
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        var work = (long)m * n * k;
        var threads = Environment.ProcessorCount;
        if (threads < 2 || work < ParallelThreshold)
        {
            GemmDriver<T, TKernel>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        // Split the dimension with more micro-tiles, so both parts stay well shaped.
        var tilesM = (m + TKernel.MR - 1) / TKernel.MR;
        var tilesN = (n + TKernel.NR - 1) / TKernel.NR;
        var byRows = tilesM > tilesN;
        var parts = Math.Min(threads, byRows ? tilesM : tilesN);
        if (parts < 2)
        {
            GemmDriver<T, TKernel>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        GemmJob<T, TKernel>.RunSplit(parts, byRows, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Batched GEMM with an explicit micro-kernel; see <see cref="SgemmBatched"/>.</summary>
    internal static void RunBatched<T, TKernel>(int batch, bool transA, bool transB, int m, int n, int k,
        T* a, long strideA, int lda, T* b, long strideB, int ldb, T* c, long strideC, int ldc)
        where T : unmanaged, INumber<T>
        where TKernel : struct, IGemmMicroKernel<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        if (batch == 0 || m == 0 || n == 0)
        {
            return;
        }

        var work = (long)m * n * k;
        var threads = Environment.ProcessorCount;
        if (k == 0 || work >= BatchInnerParallelThreshold || threads < 2 || batch < 2 || work * batch < ParallelThreshold)
        {
            // Big members (each already splits across cores), or too little work to share: one at a time.
            for (var i = 0; i < batch; i++)
            {
                Run<T, TKernel>(transA, transB, m, n, k, T.One,
                    a + (i * strideA), lda, b + (i * strideB), ldb, T.Zero, c + (i * strideC), ldc);
            }

            return;
        }

        GemmJob<T, TKernel>.RunBatched(Math.Min(threads, batch), batch, transA, transB, m, n, k,
            a, strideA, lda, b, strideB, ldb, c, strideC, ldc);
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, Math.Max(1, transA ? m : k));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, Math.Max(1, transB ? k : n));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, Math.Max(1, n));
    }

    /// <summary><c>C = beta * C</c>; with beta zero C is overwritten with zeros without being read.</summary>
    private static void ScaleC<T>(int m, int n, T beta, T* c, int ldc)
        where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < m; i++)
        {
            var row = new Span<T>(c + ((nint)i * ldc), n);
            if (beta == T.Zero)
            {
                row.Clear();
            }
            else if (beta != T.One)
            {
                for (var j = 0; j < n; j++)
                {
                    row[j] *= beta;
                }
            }
        }
    }
}
