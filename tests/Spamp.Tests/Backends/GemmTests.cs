using System.Numerics;
using NUnit.Framework;
using Spamp.Backends.Cpu;

namespace Spamp.Tests.Backends;

/// <summary>
/// Checks <see cref="Gemm"/> against a naive triple loop in double precision over transposes, odd shapes,
/// padded leading dimensions, alpha/beta variants and the batched entry points, for every micro-kernel the
/// machine can run.
/// </summary>
[TestFixture]
public unsafe class GemmTests
{
    private static readonly (int M, int N, int K)[] s_shapes =
    [
        (1, 1, 1), (7, 13, 5), (33, 65, 17), (100, 1, 100), (1, 100, 100), (129, 257, 31), (14, 32, 256), (15, 33, 513),
    ];

    private static readonly (float Alpha, float Beta)[] s_scales = [(1f, 0f), (1f, 1f), (0.5f, -2f), (-1.5f, 0.25f)];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var (m, n, k) in s_shapes)
        {
            foreach (var transA in new[] { false, true })
            {
                foreach (var transB in new[] { false, true })
                {
                    yield return new TestCaseData(m, n, k, transA, transB).SetArgDisplayNames($"{m}x{n}x{k}", $"tA={transA}", $"tB={transB}");
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void SgemmMatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        foreach (var (alpha, beta) in s_scales)
        {
            Check<float>(GemmFunctions.Sgemm, m, n, k, transA, transB, alpha, beta, pad: 0, seed: m + n + k);
            Check<float>(GemmFunctions.Sgemm, m, n, k, transA, transB, alpha, beta, pad: 3, seed: m * n + k);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void DgemmMatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        foreach (var (alpha, beta) in s_scales)
        {
            Check<double>(GemmFunctions.Dgemm, m, n, k, transA, transB, alpha, beta, pad: 0, seed: m + n + k);
            Check<double>(GemmFunctions.Dgemm, m, n, k, transA, transB, alpha, beta, pad: 5, seed: m * n + k);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void EveryKernelMatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        // The public entry points use the widest kernel; also cover the narrower fallbacks directly.
        if (GemmMicroKernel256<float>.IsSupported)
        {
            Check<float>(Gemm.Run<float, GemmMicroKernel256<float>>, m, n, k, transA, transB, 0.5f, 1f, pad: 2, seed: 1);
            Check<double>(Gemm.Run<double, GemmMicroKernel256<double>>, m, n, k, transA, transB, 0.5, 1, pad: 2, seed: 2);
        }

        Check<float>(Gemm.Run<float, GemmMicroKernelScalar<float>>, m, n, k, transA, transB, 0.5f, 1f, pad: 2, seed: 3);
        Check<double>(Gemm.Run<double, GemmMicroKernelScalar<double>>, m, n, k, transA, transB, 2, -1, pad: 0, seed: 4);
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void MultiThreadedSizeMatchesReference(bool transA, bool transB)
    {
        Check<float>(GemmFunctions.Sgemm, 300, 300, 300, transA, transB, 1f, 0f, pad: 0, seed: 7);
        Check<float>(GemmFunctions.Sgemm, 301, 517, 290, transA, transB, 0.75f, 0.5f, pad: 1, seed: 8);
        Check<double>(GemmFunctions.Dgemm, 300, 300, 300, transA, transB, 1, 0, pad: 0, seed: 9);
        Check<float>(GemmFunctions.Sgemm, 700, 90, 600, transA, transB, 1f, 0f, pad: 4, seed: 10);
    }

    [Test]
    public void LargeDepthCrossesSeveralKBlocks()
    {
        Check<float>(GemmFunctions.Sgemm, 40, 70, 1100, false, false, 1f, 2f, pad: 0, seed: 11);
        Check<double>(GemmFunctions.Dgemm, 40, 70, 1100, true, true, 1, 0, pad: 0, seed: 12);
    }

    [Test]
    public void BetaZeroIgnoresNaNInC()
    {
        // Check fills C with NaN whenever beta is zero; this repeats it at a multi-threaded size.
        Check<float>(GemmFunctions.Sgemm, 200, 160, 150, false, true, 2f, 0f, pad: 1, seed: 13);
        Check<double>(GemmFunctions.Dgemm, 17, 40, 9, true, false, 1, 0, pad: 1, seed: 14);
    }

    [Test]
    public void ZeroDepthScalesC()
    {
        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        fixed (float* pc = c)
        {
            var dummy = 0f;
            Gemm.Sgemm(false, false, 2, 3, 0, 1f, &dummy, 1, &dummy, 3, 2f, pc, 3);
        }

        Assert.That(c, Is.EqualTo(new float[] { 2, 4, 6, 8, 10, 12 }));

        var d = new double[] { double.NaN, double.NaN, 1, 1 };
        fixed (double* pd = d)
        {
            var dummy = 0.0;
            Gemm.Dgemm(true, true, 2, 2, 0, 1, &dummy, 2, &dummy, 1, 0, pd, 2);
        }

        Assert.That(d, Is.EqualTo(new double[] { 0, 0, 0, 0 }));
    }

    [Test]
    public void SingleThreadedCallDoesNotAllocate()
    {
        // Pack buffers come from the per-thread scratch cache, so after the first call nothing is allocated.
        const int N = 64;
        var a = new float[N * N];
        var b = new float[N * N];
        var c = new float[N * N];
        fixed (float* pa = a, pb = b, pc = c)
        {
            Gemm.Sgemm(false, true, N, N, N, 1f, pa, N, pb, N, 0f, pc, N);
            Gemm.Sgemm(false, true, N, N, N, 1f, pa, N, pb, N, 0f, pc, N);
            var before = GC.GetAllocatedBytesForCurrentThread();
            Gemm.Sgemm(false, true, N, N, N, 1f, pa, N, pb, N, 0f, pc, N);
            Gemm.Sgemm(true, false, N - 1, N, N - 3, 2f, pa, N, pb, N, 1f, pc, N);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That(allocated, Is.Zero);
        }
    }

    [Test]
    public void EmptyOutputIsANoOp()
    {
        var dummy = 1f;
        Gemm.Sgemm(false, false, 0, 5, 5, 1f, &dummy, 5, &dummy, 5, 0f, &dummy, 5);
        Gemm.Sgemm(false, false, 5, 0, 5, 1f, &dummy, 5, &dummy, 1, 0f, &dummy, 1);
        Assert.That(dummy, Is.EqualTo(1f));
    }

    [TestCase(32, 128, 64, 128, false, false, false)]
    [TestCase(32, 128, 64, 128, false, true, true)]
    [TestCase(5, 7, 13, 5, true, false, false)]
    [TestCase(6, 33, 65, 17, true, true, true)]
    [TestCase(3, 300, 300, 300, false, false, true)]
    public void SgemmBatchedMatchesReference(int batch, int m, int n, int k, bool transA, bool transB, bool broadcastB)
    {
        CheckBatched<float>(GemmFunctions.SgemmBatched, batch, m, n, k, transA, transB, broadcastA: false, broadcastB);
        CheckBatched<float>(GemmFunctions.SgemmBatched, batch, m, n, k, transA, transB, broadcastA: true, broadcastB: false);
    }

    [TestCase(32, 128, 64, 128, false, true, false)]
    [TestCase(4, 7, 13, 5, true, false, true)]
    public void DgemmBatchedMatchesReference(int batch, int m, int n, int k, bool transA, bool transB, bool broadcastB)
    {
        CheckBatched<double>(GemmFunctions.DgemmBatched, batch, m, n, k, transA, transB, broadcastA: false, broadcastB);
        CheckBatched<double>(GemmFunctions.DgemmBatched, batch, m, n, k, transA, transB, broadcastA: true, broadcastB: false);
    }

    private delegate void GemmFunction<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged;

    private delegate void BatchedFunction<T>(int batch, bool transA, bool transB, int m, int n, int k,
        T* a, long strideA, int lda, T* b, long strideB, int ldb, T* c, long strideC, int ldc)
        where T : unmanaged;

    private static void Check<T>(GemmFunction<T> gemm, int m, int n, int k, bool transA, bool transB,
        T alpha, T beta, int pad, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var (aRows, aCols) = transA ? (k, m) : (m, k);
        var (bRows, bCols) = transB ? (n, k) : (k, n);
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = Random<T>(rng, Math.Max(1, aRows * lda));
        var b = Random<T>(rng, Math.Max(1, bRows * ldb));
        var c = beta == T.Zero ? Filled(T.NaN, m * ldc) : Random<T>(rng, m * ldc);
        var expected = new double[m * ldc];
        var scale = new double[m * ldc];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (var p = 0; p < k; p++)
                {
                    var x = double.CreateChecked(transA ? a[(p * lda) + i] : a[(i * lda) + p]);
                    var y = double.CreateChecked(transB ? b[(j * ldb) + p] : b[(p * ldb) + j]);
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }

                var old = beta == T.Zero ? 0 : double.CreateChecked(c[(i * ldc) + j]);
                var al = double.CreateChecked(alpha);
                var be = double.CreateChecked(beta);
                expected[(i * ldc) + j] = (al * sum) + (be * old);
                scale[(i * ldc) + j] = (Math.Abs(al) * magnitude) + Math.Abs(be * old) + 1e-30;
            }
        }

        // Padding columns of C (j >= n) must be untouched.
        var before = (T[])c.Clone();
        fixed (T* pa = a, pb = b, pc = c)
        {
            gemm(transA, transB, m, n, k, alpha, pa, Math.Max(1, lda), pb, Math.Max(1, ldb), beta, pc, ldc);
        }

        var eps = typeof(T) == typeof(float) ? 1e-5 : 1e-13;
        var tolerance = eps * Math.Sqrt(k + 1);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < ldc; j++)
            {
                var index = (i * ldc) + j;
                if (j >= n)
                {
                    var untouched = T.IsNaN(before[index]) ? T.IsNaN(c[index]) : c[index] == before[index];
                    Assert.That(untouched, Is.True, $"padding ({i},{j}) was written");
                    continue;
                }

                var actual = double.CreateChecked(c[index]);
                Assert.That(actual, Is.EqualTo(expected[index]).Within(tolerance * scale[index]),
                    $"{typeof(T).Name} {m}x{n}x{k} tA={transA} tB={transB} alpha={alpha} beta={beta} pad={pad} at ({i},{j})");
            }
        }
    }

    private static void CheckBatched<T>(BatchedFunction<T> gemm, int batch, int m, int n, int k,
        bool transA, bool transB, bool broadcastA, bool broadcastB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(batch + m + n + k);
        var lda = transA ? m : k;
        var ldb = transB ? k : n;
        long sizeA = (long)m * k, sizeB = (long)k * n, sizeC = (long)m * n;
        var a = Random<T>(rng, (int)(broadcastA ? sizeA : sizeA * batch));
        var b = Random<T>(rng, (int)(broadcastB ? sizeB : sizeB * batch));
        var c = Filled(T.NaN, (int)(sizeC * batch));
        fixed (T* pa = a, pb = b, pc = c)
        {
            gemm(batch, transA, transB, m, n, k, pa, broadcastA ? 0 : sizeA, lda, pb, broadcastB ? 0 : sizeB, ldb, pc, sizeC, n);
        }

        var tolerance = (typeof(T) == typeof(float) ? 1e-5 : 1e-13) * Math.Sqrt(k + 1);
        for (var t = 0; t < batch; t++)
        {
            var offA = broadcastA ? 0 : t * sizeA;
            var offB = broadcastB ? 0 : t * sizeB;
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (var p = 0; p < k; p++)
                    {
                        var x = double.CreateChecked(transA ? a[offA + (p * lda) + i] : a[offA + (i * lda) + p]);
                        var y = double.CreateChecked(transB ? b[offB + (j * ldb) + p] : b[offB + (p * ldb) + j]);
                        sum += x * y;
                        magnitude += Math.Abs(x * y);
                    }

                    var actual = double.CreateChecked(c[(t * sizeC) + (i * n) + j]);
                    Assert.That(actual, Is.EqualTo(sum).Within((tolerance * magnitude) + 1e-30),
                        $"batch {t} of {batch}, {m}x{n}x{k} tA={transA} tB={transB} at ({i},{j})");
                }
            }
        }
    }

    private static T[] Random<T>(Random rng, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = T.CreateChecked((rng.NextDouble() * 2) - 1);
        }

        return values;
    }

    private static T[] Filled<T>(T value, int count)
    {
        var values = new T[count];
        Array.Fill(values, value);
        return values;
    }

    /// <summary>Method-group adapters (the entry points take int leading dimensions of concrete types).</summary>
    private static class GemmFunctions
    {
        public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
            float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
            Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
            double* a, int lda, double* b, int ldb, double beta, double* c, int ldc) =>
            Gemm.Dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        public static void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k,
            float* a, long strideA, int lda, float* b, long strideB, int ldb, float* c, long strideC, int ldc) =>
            Gemm.SgemmBatched(batch, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, c, strideC, ldc);

        public static void DgemmBatched(int batch, bool transA, bool transB, int m, int n, int k,
            double* a, long strideA, int lda, double* b, long strideB, int ldb, double* c, long strideC, int ldc) =>
            Gemm.DgemmBatched(batch, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, c, strideC, ldc);
    }
}
