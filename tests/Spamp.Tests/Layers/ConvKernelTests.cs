using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// The CPU convolution kernels against a direct six-loop convolution in double on sizes the PyTorch
/// file cannot hold: batches large enough to be split into chunks of images across cores (uneven
/// chunks), a single large image whose GEMM is split instead, every combination of stride, padding,
/// dilation and groups, in float32 and float64; and the allocation-free steady state.
/// </summary>
[TestFixture]
public sealed class ConvKernelTests
{
    public sealed record ConvCase(string Name, int N, int Cin, int H, int W, int Cout, int Kh, int Kw, Size2 Stride, Size2 Padding, Size2 Dilation, int Groups)
    {
        public override string ToString() => Name;
    }

    private static IEnumerable<TestCaseData> Cases() => new ConvCase[]
    {
        new("batch_parallel_3x3", 6, 16, 20, 20, 16, 3, 3, 1, 1, 1, 1),
        new("batch_parallel_strided_dilated_groups", 7, 12, 23, 19, 24, 3, 3, (2, 1), (2, 1), (2, 1), 3),
        new("batch_parallel_pointwise", 9, 32, 16, 16, 48, 1, 1, 1, 0, 1, 1),
        new("batch_parallel_depthwise", 8, 32, 18, 18, 32, 3, 3, 1, 1, 1, 32),
        new("single_image_parallel_gemm", 1, 16, 40, 40, 32, 3, 3, 1, 1, 1, 1),
        new("single_image_stem", 1, 3, 45, 45, 16, 7, 7, 2, 3, 1, 1),
        new("serial_small", 2, 3, 6, 5, 4, 2, 3, (1, 2), (0, 1), 1, 1),
    }.SelectMany(c => new[] { DType.Float32, DType.Float64 }.Select(d => new TestCaseData(c, d).SetName($"{c.Name}_{d.Name()}")));

    [TestCaseSource(nameof(Cases))]
    public void MatchesDirectConvolution(ConvCase c, DType dtype)
    {
        using var scope = TensorScope.Begin();
        var gen = new Generator(7);
        using Tensor x = Tensor.Randn([c.N, c.Cin, c.H, c.W], dtype, generator: gen);
        using Tensor w = Tensor.Randn([c.Cout, c.Cin / c.Groups, c.Kh, c.Kw], dtype, generator: gen);
        using Tensor b = Tensor.Randn([c.Cout], dtype, generator: gen);
        Conv2dGeometry g = Conv2dGeometry.Resolve("test", x.Shape, w.Shape, c.Stride, ConvPadding.FromSize2(c.Padding), c.Dilation, c.Groups);
        using Tensor dy = Tensor.Randn(g.OutputShape, dtype, generator: gen);

        var (y, dx, dw) = Direct(g, x.ToDoubleArray(), w.ToDoubleArray(), b.ToDoubleArray(), dy.ToDoubleArray());
        double tolerance = dtype == DType.Float64 ? 1e-12 : 2e-5;
        AssertClose("forward", Tensor.Conv2d(x, w, b, g), y, tolerance);
        AssertClose("backward input", Tensor.Conv2dBackwardInput(dy, w, g), dx, tolerance);
        AssertClose("backward weight", Tensor.Conv2dBackwardWeight(x, dy, g), dw, tolerance);
        var (dw2, db) = Tensor.Conv2dBackwardParameters(x, dy, g, withBias: true);
        AssertClose("backward weight with bias", dw2, dw, tolerance);
        double[] dyValues = dy.ToDoubleArray();
        var expectedBias = new double[c.Cout];
        for (int i = 0; i < dyValues.Length; i++)
        {
            expectedBias[i / g.OutPlane % c.Cout] += dyValues[i];
        }

        AssertClose("backward bias", db!, expectedBias, tolerance);
    }

    [Test]
    public void NonContiguousOperandsAreAccepted()
    {
        using var scope = TensorScope.Begin();
        var gen = new Generator(3);
        Tensor x = Tensor.Randn([2, 5, 6, 3], DType.Float64, generator: gen).Permute(0, 3, 1, 2); // [2, 3, 5, 6] channels-last view
        Tensor w = Tensor.Randn([4, 3, 3, 3], DType.Float64, generator: gen);
        Tensor expected = Tensor.Conv2d(x.Contiguous(), w, null, padding: 1);
        Tensor got = Tensor.Conv2d(x, w, null, padding: 1);
        Assert.That(got.ToArray<double>(), Is.EqualTo(expected.ToArray<double>()));
    }

    [Test]
    public void UnbatchedInputGivesUnbatchedOutput()
    {
        using var scope = TensorScope.Begin();
        Tensor x = Tensor.Randn([3, 5, 5], generator: new Generator(1));
        Tensor w = Tensor.Randn([2, 3, 3, 3], generator: new Generator(2));
        Assert.That(Tensor.Conv2d(x, w).Shape, Is.EqualTo(new Shape(2, 3, 3)));
        Assert.That(Functional.Conv2d(new Variable(x), new Variable(w)).Shape, Is.EqualTo(new Shape(2, 3, 3)));
    }

    [Test]
    public void WarmConvolutionTouchesNoFreshMemory()
    {
        using var scope = TensorScope.Begin();
        var gen = new Generator(5);
        Tensor x = Tensor.Randn([8, 16, 16, 16], generator: gen);
        Tensor w = Tensor.Randn([16, 16, 3, 3], generator: gen);
        Conv2dGeometry g = Conv2dGeometry.Resolve("test", x.Shape, w.Shape, 1, 1, 1, 1);
        void Step()
        {
            using var inner = TensorScope.Begin();
            Tensor y = Tensor.Conv2d(x, w, null, g);
            Tensor.Conv2dBackwardInput(y, w, g);
            Tensor.Conv2dBackwardWeight(x, y, g);
        }

        Step();
        Step();
        long before = Spamp.Backends.Cpu.CpuBackend.Instance.Allocator.Stats.FreshAllocations;
        Step();
        Assert.That(Spamp.Backends.Cpu.CpuBackend.Instance.Allocator.Stats.FreshAllocations - before, Is.Zero, "the patch scratch and outputs should come from the caching pool");
    }

    /// <summary>Output, input gradient and weight gradient by the definition, in double.</summary>
    private static (double[] Y, double[] Dx, double[] Dw) Direct(Conv2dGeometry g, double[] x, double[] w, double[] b, double[] dy)
    {
        var y = new double[g.OutputShape.Numel];
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        int cig = g.InChannelsPerGroup, cog = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
        {
            for (int o = 0; o < g.OutChannels; o++)
            {
                int group = o / cog;
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        int yi = (((n * g.OutChannels) + o) * g.OutHeight + oh) * g.OutWidth + ow;
                        double sum = b[o];
                        for (int c = 0; c < cig; c++)
                        {
                            int ci = (group * cig) + c;
                            for (int i = 0; i < g.KernelHeight; i++)
                            {
                                int ih = (oh * g.StrideHeight) - g.PadTop + (i * g.DilationHeight);
                                if (ih < 0 || ih >= g.InHeight)
                                {
                                    continue;
                                }

                                for (int j = 0; j < g.KernelWidth; j++)
                                {
                                    int iw = (ow * g.StrideWidth) - g.PadLeft + (j * g.DilationWidth);
                                    if (iw < 0 || iw >= g.InWidth)
                                    {
                                        continue;
                                    }

                                    int xi = (((n * g.InChannels) + ci) * g.InHeight + ih) * g.InWidth + iw;
                                    int wi = (((o * cig) + c) * g.KernelHeight + i) * g.KernelWidth + j;
                                    sum += x[xi] * w[wi];
                                    dx[xi] += w[wi] * dy[yi];
                                    dw[wi] += x[xi] * dy[yi];
                                }
                            }
                        }

                        y[yi] = sum;
                    }
                }
            }
        }

        return (y, dx, dw);
    }

    private static void AssertClose(string what, Tensor got, double[] expected, double tolerance)
    {
        double[] actual = got.ToDoubleArray();
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        double scale = Math.Max(expected.Max(Math.Abs), 1e-30);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / scale);
        }

        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{what}: largest error relative to the largest magnitude");
    }
}
