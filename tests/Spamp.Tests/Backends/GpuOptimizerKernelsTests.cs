using NUnit.Framework;
using Spamp.Backends;
using Spamp.Backends.Cpu;
using Spamp.Memory;
using static Spamp.Tests.Backends.BackendTestSupport;

namespace Spamp.Tests.Backends;

/// <summary>
/// Every member of <see cref="OptimizerKernels"/> on the OpenCL device against the CPU kernels (the
/// reference): the same inputs, then every buffer and the returned value compared. Sizes cover one
/// work-group, several partial groups and the grid-stride loop; float32 and float64.
/// </summary>
public sealed class GpuOptimizerKernelsTests
{
    private static readonly int[] Sizes = [1, 37, 1000, 300_001];
    private readonly System.Random _random = new(5);
    private Backend _gpu = null!;

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCl, out string reason))
        {
            Assert.Ignore($"no OpenCL device: {reason}");
        }

        _gpu = BackendRegistry.For(Device.OpenCl(0));
    }

    // Element-wise results in float32 differ from the CPU's by the rounding of pow/exp/sqrt (a few ulp); float64 likewise.
    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 2e-6 : 1e-13;

    // Returned sums are accumulated in double on both sides, in different orders (the CPU sums float32 blocks in float32).
    private static double SumTolerance(DType dtype) => dtype == DType.Float32 ? 2e-6 : 1e-12;

    private double[] Values(int n, double scale = 2) => RandomValues(_random, DType.Float64, n, scale);

    private double[] Positive(int n) => [.. Values(n).Select(v => Math.Abs(v) + 0.01)];

    /// <summary>
    /// Runs <paramref name="kernel"/> on copies of <paramref name="inputs"/> on both devices, asserts every
    /// buffer agrees afterwards, and returns both results.
    /// </summary>
    private (double Cpu, double Gpu) Both(DType dtype, double[][] inputs, Func<OptimizerKernels, Storage[], double> kernel, string what)
    {
        Storage[] cpu = [.. inputs.Select(v => Store(CpuBackend.Instance, dtype, v))];
        Storage[] gpu = [.. inputs.Select(v => Store(_gpu, dtype, v))];
        try
        {
            double expected = kernel(OptimizerKernels.For(Device.Cpu), cpu);
            double actual = kernel(OptimizerKernels.For(_gpu.Device), gpu);
            for (int j = 0; j < inputs.Length; j++)
            {
                int n = inputs[j].Length;
                AssertClose(Read(_gpu, gpu[j], n), Read(CpuBackend.Instance, cpu[j], n), Tolerance(dtype), 1e-30, $"{what}: buffer {j}");
            }

            return (expected, actual);
        }
        finally
        {
            foreach (Storage s in cpu.Concat(gpu))
            {
                s.Release();
            }
        }
    }

    private void AssertSum((double Cpu, double Gpu) r, DType dtype, string what) =>
        AssertClose([r.Gpu], [r.Cpu], SumTolerance(dtype), 0, what);

    [Test]
    public void StatisticsAgree([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        foreach (int n in Sizes)
        {
            double[] g = Values(n);
            AssertSum(Both(dtype, [g], (k, s) => k.SumOfSquares(s[0], n), "sum_squares"), dtype, $"sum_squares {n}");
            AssertSum(Both(dtype, [g], (k, s) => k.MaxAbs(s[0], n), "max_abs"), dtype, $"max_abs {n}");
            AssertSum(Both(dtype, [g], (k, s) => k.PowerSum(s[0], n, 1.5), "power_sum"), dtype, $"power_sum {n}");
        }

        double[] withNaN = [1, double.NaN, -3, 2];
        Assert.That(Both(dtype, [withNaN], (k, s) => k.MaxAbs(s[0], 4), "max_abs NaN").Gpu, Is.NaN);
        Assert.That(Both(dtype, [withNaN], (k, s) => k.SumOfSquares(s[0], 4), "sum_squares NaN").Gpu, Is.NaN);
        Assert.That(Both(dtype, [[1, double.PositiveInfinity]], (k, s) => k.SumOfSquares(s[0], 2), "inf").Gpu, Is.EqualTo(double.PositiveInfinity));
        Assert.That(Both(dtype, [[5]], (k, s) => k.SumOfSquares(s[0], 0), "empty").Gpu, Is.Zero);
    }

    [Test]
    public void RewritesAgree([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        foreach (int n in Sizes)
        {
            Both(dtype, [Values(n)], (k, s) => { k.Scale(s[0], n, -0.37); return 0; }, $"scale {n}");
            Both(dtype, [Values(n), Values(n)], (k, s) => { k.Axpy(s[0], s[1], n, 0.61); return 0; }, $"axpy {n}");
            Both(dtype, [Values(n)], (k, s) => { k.ClampValue(s[0], n, 0.8); return 0; }, $"clamp {n}");
            AssertSum(Both(dtype, [Values(n)], (k, s) => k.PowerShape(s[0], n, 1.7, 0.75), $"power_shape {n}"), dtype, $"power_shape {n}");
            foreach (ShrinkFunction function in Enum.GetValues<ShrinkFunction>())
            {
                Both(dtype, [Values(n, 6)], (k, s) => { k.Shrink(s[0], n, function, 0.9, 2.0); return 0; }, $"shrink {function} {n}");
            }
        }

        Both(dtype, [[double.NaN, 3, -3, 0.5]], (k, s) => { k.ClampValue(s[0], 4, 1); return 0; }, "clamp keeps NaN");
        Both(dtype, [[0, -0.0, 2, -2]], (k, s) => k.PowerShape(s[0], 4, 1, 0.5), "power_shape of zeros");
    }

    [Test]
    public void CountingClipsAgree([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        foreach (int n in Sizes)
        {
            double[] g = Values(n, 3), v = Positive(n);
            var spikes = Both(dtype, [g, v], (k, s) => k.SpikeClip(s[0], s[1], n, 2.0), $"spike_clip {n}");
            Assert.That(spikes.Gpu, Is.EqualTo(spikes.Cpu), $"spike_clip count {n}");
            var ada = Both(dtype, [Values(n, 3)], (k, s) => k.AdaClip(s[0], n, 1.5, 0.25), $"ada_clip {n}");
            Assert.That(ada.Gpu, Is.EqualTo(ada.Cpu), $"ada_clip count {n}");
            if (n >= 1000)
            {
                Assert.That(ada.Gpu, Is.GreaterThan(0), "the case clips something");
            }
        }
    }

    [Test]
    public void MedianAgrees([Values(DType.Float32, DType.Float64)] DType dtype, [Values(0, 100)] int sampleCap)
    {
        foreach (int n in new[] { 1, 2, 37, 1000, 1001, 300_001 })
        {
            double[] g = Values(n);
            // Zeros, non-finite values and ties are excluded or counted as the CPU does.
            for (int i = 0; i < n; i += 7)
            {
                g[i] = i % 3 == 0 ? 0 : i % 3 == 1 ? double.NaN : 0.5;
            }

            int cpuCount = 0, gpuCount = 0;
            var r = Both(dtype, [g], (k, s) =>
            {
                double median = k.MedianAbsNonZero(s[0], n, sampleCap, out int count);
                if (k is CpuOptimizerKernels)
                {
                    cpuCount = count;
                }
                else
                {
                    gpuCount = count;
                }

                return median;
            }, $"median {n}");
            Assert.That(gpuCount, Is.EqualTo(cpuCount), $"non-zero count {n}");
            Assert.That(r.Gpu, Is.EqualTo(r.Cpu), $"median {n} (an exact element or the mean of two)");
        }

        Assert.That(Both(dtype, [[0, 0, double.NaN]], (k, s) => k.MedianAbsNonZero(s[0], 3, 0, out _), "none").Gpu, Is.Zero);
    }

    [Test]
    public void SpamHalvesAgree([Values(DType.Float32, DType.Float64)] DType dtype, [Values] bool amsgrad)
    {
        foreach (int n in Sizes)
        {
            double[][] buffers = [Values(n), Values(n, 0.1), Positive(n), Positive(n)];
            var u2 = Both(dtype, buffers, (k, s) => k.SpamMoments(s[0], s[1], s[2], amsgrad ? s[3] : null, n, 0.9, 0.999, 1e-3, 1.3, 1e-8), $"spam_moments {n}");
            AssertSum(u2, dtype, $"spam_moments {n}");
            Both(dtype, [Values(n), Values(n, 0.1), Positive(n)], (k, s) => { k.SpamApplyUpdate(s[0], s[1], s[2], n, 1e-3, 1.3, 1e-8); return 0; }, $"spam_apply {n}");
        }
    }

    [Test]
    public void UpdateRulesAgree([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var adam = new[]
        {
            AdamCoefficients.ForStep(3, 1e-2, 0.9, 0.999, 1e-8, 0.1, decoupled: true, maximize: false),
            AdamCoefficients.ForStep(1, 1e-2, 0.8, 0.99, 1e-6, 0.1, decoupled: false, maximize: true) with { GradientScale = 0.3 },
        };
        var sgd = new[]
        {
            new SgdCoefficients(0.1, 0.9, 0.1, 0.01, Nesterov: false, Maximize: false, FirstStep: true),
            new SgdCoefficients(0.1, 0.9, 0, 0.01, Nesterov: true, Maximize: true, FirstStep: false),
            new SgdCoefficients(0.1, 0, 0, 0, Nesterov: false, Maximize: false, FirstStep: false),
        };
        foreach (int n in Sizes)
        {
            foreach (var c in adam)
            {
                foreach (bool ams in new[] { false, true })
                {
                    Both(dtype, [Values(n), Values(n), Values(n, 0.1), Positive(n), Positive(n)],
                        (k, s) => { k.AdamStep(s[0], s[1], s[2], s[3], ams ? s[4] : null, n, c); return 0; }, $"adam {c} ams {ams} {n}");
                }

                Both(dtype, [Values(n), Values(n, 0.1), Positive(n)], (k, s) => { k.AdamDirection(s[0], s[1], s[2], n, c); return 0; }, $"adam_direction {n}");
            }

            foreach (var c in sgd)
            {
                Both(dtype, [Values(n), Values(n), Values(n)],
                    (k, s) => { k.SgdStep(s[0], s[1], c.Momentum == 0 ? null : s[2], n, c); return 0; }, $"sgd {c} {n}");
                if (c.Momentum != 0)
                {
                    Both(dtype, [Values(n), Values(n)], (k, s) => { k.MomentumDirection(s[0], s[1], n, c); return 0; }, $"momentum {c} {n}");
                }
            }

            double[] g = Values(n);
            g[0] = 0;
            Both(dtype, [Values(n), g, new double[n]], (k, s) => { k.LionStep(s[0], s[1], s[2], n, new LionCoefficients(1e-3, 0.9, 0.99, 0.999)); return 0; }, $"lion {n}");
        }
    }

    [Test]
    public void OnlyValueReturningKernelsSynchronise()
    {
        OptimizerKernels k = OptimizerKernels.For(_gpu.Device);
        Storage p = Store(_gpu, DType.Float32, Values(500)), g = Store(_gpu, DType.Float32, Values(500));
        Storage m = Store(_gpu, DType.Float32, new double[500]), v = Store(_gpu, DType.Float32, new double[500]);
        try
        {
            long before = _gpu.Synchronizations;
            k.AdamStep(p, g, m, v, null, 500, AdamCoefficients.ForStep(1, 1e-3, 0.9, 0.999, 1e-8, 0, true, false));
            k.Scale(g, 500, 0.5);
            k.ClampValue(g, 500, 0.1);
            k.Shrink(g, 500, ShrinkFunction.GaussGate, 1, 4);
            Assert.That(_gpu.Synchronizations, Is.EqualTo(before), "queued kernels do not wait");
            _ = k.SumOfSquares(g, 500);
            Assert.That(_gpu.Synchronizations, Is.EqualTo(before + 1), "a reduction reads one value back");
        }
        finally
        {
            foreach (Storage s in new[] { p, g, m, v })
            {
                s.Release();
            }
        }
    }

    [Test]
    public void IntegerStoragesAreRejectedAsOnTheCpu()
    {
        Storage ints = Store(_gpu, DType.Int32, [1, 2, 3]), cpuInts = Store(CpuBackend.Instance, DType.Int32, [1, 2, 3]);
        try
        {
            Assert.Throws<DTypeMismatchException>(() => OptimizerKernels.For(_gpu.Device).SumOfSquares(ints, 3));
            Assert.Throws<DTypeMismatchException>(() => OptimizerKernels.For(Device.Cpu).SumOfSquares(cpuInts, 3));
        }
        finally
        {
            ints.Release();
            cpuInts.Release();
        }
    }
}
