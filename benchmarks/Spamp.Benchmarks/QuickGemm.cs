using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Spamp.Backends.Cpu;

namespace Spamp.Benchmarks;

/// <summary>
/// Stopwatch measurement of square SGEMM in the same way as the OpenBLAS peer program: per size, two
/// warm-up calls, then several samples that each repeat the call for at least 50 ms; prints the median,
/// min and max GFLOP/s (2 n^3 / t).
/// </summary>
internal static unsafe class QuickGemm
{
    public static void Run(ReadOnlySpan<string> args)
    {
        if (args.Length > 0 && args[0] == "batched")
        {
            RunBatched(32, 128, 128, 64, transB: true);
            RunBatched(32, 128, 64, 128, transB: false);
            return;
        }

        int[] sizes = args.Length > 0 ? ParseSizes(args) : [128, 256, 512, 1024, 2048];
        const int Samples = 7;
        ApplyTuningOverrides();
        Console.WriteLine("     n   GFLOP/s(med)   min      max");
        foreach (var n in sizes)
        {
            var count = (nuint)n * (nuint)n;
            var a = (float*)NativeMemory.AlignedAlloc(count * sizeof(float), 64);
            var b = (float*)NativeMemory.AlignedAlloc(count * sizeof(float), 64);
            var c = (float*)NativeMemory.AlignedAlloc(count * sizeof(float), 64);
            var rng = new Random(42);
            for (nuint i = 0; i < count; i++)
            {
                a[i] = (rng.NextSingle() * 2) - 1;
                b[i] = (rng.NextSingle() * 2) - 1;
                c[i] = 0;
            }

            Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
            Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
            var gflops = new double[Samples];
            for (var s = 0; s < Samples; s++)
            {
                var reps = 0;
                var sw = Stopwatch.StartNew();
                do
                {
                    Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
                    reps++;
                }
                while (sw.Elapsed.TotalMilliseconds < 50);
                var seconds = sw.Elapsed.TotalSeconds / reps;
                gflops[s] = 2.0 * n * n * n / seconds / 1e9;
            }

            Array.Sort(gflops);
            Console.WriteLine($"{n,6} {gflops[Samples / 2],12:F1} {gflops[0],8:F1} {gflops[^1],8:F1}");
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }

    /// <summary>Attention-shaped batched products: <paramref name="batch"/> x (m x k) * (k x n).</summary>
    private static void RunBatched(int batch, int m, int n, int k, bool transB)
    {
        var a = (float*)NativeMemory.AlignedAlloc((nuint)(batch * m * k) * sizeof(float), 64);
        var b = (float*)NativeMemory.AlignedAlloc((nuint)(batch * k * n) * sizeof(float), 64);
        var c = (float*)NativeMemory.AlignedAlloc((nuint)(batch * m * n) * sizeof(float), 64);
        for (var i = 0; i < batch * m * k; i++)
        {
            a[i] = 0.5f;
        }

        for (var i = 0; i < batch * k * n; i++)
        {
            b[i] = 0.25f;
        }

        var ldb = transB ? k : n;
        var gflops = new double[7];
        for (var s = -2; s < gflops.Length; s++)
        {
            var reps = 0;
            var sw = Stopwatch.StartNew();
            do
            {
                Gemm.SgemmBatched(batch, false, transB, m, n, k, a, (long)m * k, k, b, (long)k * n, ldb, c, (long)m * n, n);
                reps++;
            }
            while (sw.Elapsed.TotalMilliseconds < 50);
            if (s >= 0)
            {
                gflops[s] = 2.0 * batch * m * n * k / (sw.Elapsed.TotalSeconds / reps) / 1e9;
            }
        }

        Array.Sort(gflops);
        Console.WriteLine($"batched {batch} x {m}x{n}x{k} transB={transB}: {gflops[3]:F1} GFLOP/s (min {gflops[0]:F1}, max {gflops[^1]:F1}), {2.0 * batch * m * n * k / gflops[3] / 1e3:F1} us");
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(c);
    }

    /// <summary>Blocking overrides for tuning runs: GEMM_KC_BYTES, GEMM_MC_BYTES, GEMM_NC.</summary>
    private static void ApplyTuningOverrides()
    {
        if (Environment.GetEnvironmentVariable("GEMM_KC_BYTES") is { } kc)
        {
            GemmDriver<float, GemmMicroKernel512<float>>.KcBytes = int.Parse(kc, CultureInfo.InvariantCulture);
        }

        if (Environment.GetEnvironmentVariable("GEMM_MC_BYTES") is { } mc)
        {
            GemmDriver<float, GemmMicroKernel512<float>>.McBytes = int.Parse(mc, CultureInfo.InvariantCulture);
        }

        if (Environment.GetEnvironmentVariable("GEMM_NC") is { } nc)
        {
            GemmDriver<float, GemmMicroKernel512<float>>.NcMax = int.Parse(nc, CultureInfo.InvariantCulture);
        }
    }

    private static int[] ParseSizes(ReadOnlySpan<string> args)
    {
        var sizes = new int[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            sizes[i] = int.Parse(args[i], CultureInfo.InvariantCulture);
        }

        return sizes;
    }
}
