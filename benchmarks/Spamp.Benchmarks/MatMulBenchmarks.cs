using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Spamp.Backends.Cpu;

namespace Spamp.Benchmarks;

/// <summary>
/// Square single-precision GEMM (<c>C = A * B</c>, row-major, no transposes) on preallocated 64-byte-aligned
/// buffers, with a GFLOP/s column (2 n^3 / median time) for comparison with the OpenBLAS peer.
/// </summary>
[Config(typeof(GflopsConfig))]
public unsafe class MatMulBenchmarks
{
    private float* _a;
    private float* _b;
    private float* _c;

    [Params(128, 256, 512, 1024, 2048)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var count = (nuint)N * (nuint)N;
        _a = (float*)NativeMemory.AlignedAlloc(count * sizeof(float), 64);
        _b = (float*)NativeMemory.AlignedAlloc(count * sizeof(float), 64);
        _c = (float*)NativeMemory.AlignedAlloc(count * sizeof(float), 64);
        var rng = new Random(42);
        for (nuint i = 0; i < count; i++)
        {
            _a[i] = (rng.NextSingle() * 2) - 1;
            _b[i] = (rng.NextSingle() * 2) - 1;
            _c[i] = 0;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
    }

    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(false, false, N, N, N, 1f, _a, N, _b, N, 0f, _c, N);

    private sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig()
        {
            AddColumn(new GflopsColumn());
        }
    }

    /// <summary>GFLOP/s derived from the median time and the <c>N</c> parameter: 2 N^3 / t.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "2 N^3 / median time, in 1e9 floating-point operations per second";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats)
            {
                return "-";
            }

            var n = Convert.ToDouble(benchmarkCase.Parameters["N"], System.Globalization.CultureInfo.InvariantCulture);
            var seconds = stats.Median * 1e-9;
            return (2 * n * n * n / seconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
