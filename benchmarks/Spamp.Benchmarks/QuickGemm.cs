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
        int[] sizes = args.Length > 0 ? ParseSizes(args) : [128, 256, 512, 1024, 2048];
        const int Samples = 7;
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
