using NUnit.Framework;
using Spamp.Memory;

namespace Spamp.Tests.Backends;

/// <summary>
/// The GPU convolution kernels (forward, input gradient, weight and bias gradient) against the CPU
/// backend: named geometries that cross the kernels' tile and depth-split boundaries, then random
/// ones with odd sizes, strides, padding, dilation, groups and batch 1. float32 agrees to 1e-5 and
/// float64 to 1e-12, relative to the largest expected magnitude.
/// </summary>
public sealed class GpuConvolutionTests : GpuVsCpuFixture
{
    private const int RandomRounds = 16;

    private static IEnumerable<TestCaseData> NamedGeometries()
    {
        // More filters and patch rows than one 32 x 32 block; bias present.
        yield return Case("multi-tile", new Shape(2, 20, 13, 11), new Shape(40, 20, 3, 3), 1, 1, 1, 1);
        // A depth of 8 * 256 output positions: the weight gradient is split into partial products.
        yield return Case("split-depth", new Shape(8, 3, 16, 16), new Shape(5, 3, 3, 3), 1, 1, 1, 1);
        yield return Case("depthwise-strided", new Shape(2, 6, 9, 9), new Shape(6, 1, 3, 3), 2, 1, 1, 6);
        yield return Case("pointwise", new Shape(3, 7, 5, 6), new Shape(9, 7, 1, 1), 1, 0, 1, 1);
        yield return Case("batch-1-wide", new Shape(1, 33, 10, 10), new Shape(34, 33, 3, 3), 1, 1, 1, 1);
        yield return Case("dilated-grouped", new Shape(2, 4, 11, 12), new Shape(6, 2, 3, 2), (2, 1), (2, 1), (2, 3), 2);

        // 'same' with an even, dilated kernel: the extra padding row and column go after the input.
        var same = Conv2dGeometry.Resolve("conv2d", new Shape(1, 2, 7, 8), new Shape(3, 2, 2, 4), 1, ConvPadding.Same, 2, 1);
        yield return new TestCaseData(same).SetArgDisplayNames("same-even-kernel");

        static TestCaseData Case(string name, Shape input, Shape weight, Size2 stride, ConvPadding padding, Size2 dilation, int groups) =>
            new TestCaseData(Conv2dGeometry.Resolve("conv2d", input, weight, stride, padding, dilation, groups)).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(NamedGeometries))]
    public void NamedGeometriesAgree(Conv2dGeometry geometry)
    {
        foreach (DType dtype in new[] { DType.Float32, DType.Float64 })
        {
            if (dtype == DType.Float64 && !Gpu.SupportsFloat64)
            {
                continue;
            }

            CompareAllDirections(geometry, dtype, withBias: true);
        }
    }

    [Test]
    public void RandomGeometriesAgree([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        RequireDType(dtype);
        for (int round = 0; round < RandomRounds; round++)
        {
            CompareAllDirections(RandomGeometry(), dtype, withBias: Random.Next(2) == 0);
        }
    }

    private Conv2dGeometry RandomGeometry()
    {
        while (true)
        {
            int groups = Random.Next(1, 4), perGroupIn = Random.Next(1, 5), perGroupOut = Random.Next(1, 5);
            var input = new Shape(Random.Next(1, 4), perGroupIn * groups, Random.Next(1, 14), Random.Next(1, 14));
            var weight = new Shape(perGroupOut * groups, perGroupIn, Random.Next(1, 5), Random.Next(1, 5));
            Size2 stride = (Random.Next(1, 4), Random.Next(1, 4));
            Size2 dilation = (Random.Next(1, 3), Random.Next(1, 3));
            ConvPadding padding = (Random.Next(0, 3), Random.Next(0, 3));
            try
            {
                return Conv2dGeometry.Resolve("conv2d", input, weight, stride, padding, dilation, groups);
            }
            catch (ShapeMismatchException)
            {
                // The kernel does not fit the padded input: draw again.
            }
        }
    }

    private void CompareAllDirections(Conv2dGeometry g, DType dtype, bool withBias)
    {
        string what = $"{dtype} {g}";
        double tolerance = Tolerance(dtype);
        int inputs = g.InputShape.Numel, weights = g.WeightShape.Numel, outputs = g.OutputShape.Numel;
        using var scope = new StorageScope();
        var x = Both(scope, dtype, Values(dtype, inputs));
        var w = Both(scope, dtype, Values(dtype, weights));
        var b = Both(scope, dtype, Values(dtype, g.OutChannels));
        var dy = Both(scope, dtype, Values(dtype, outputs));

        var y = Outputs(scope, dtype, outputs);
        Cpu.Conv2d(x.Cpu, w.Cpu, withBias ? b.Cpu : null, y.Cpu, g);
        Gpu.Conv2d(x.Gpu, w.Gpu, withBias ? b.Gpu : null, y.Gpu, g);
        AssertAgree(y, outputs, tolerance, $"forward {what}");

        var dx = Outputs(scope, dtype, inputs);
        Cpu.Conv2dBackwardInput(dy.Cpu, w.Cpu, dx.Cpu, g);
        Gpu.Conv2dBackwardInput(dy.Gpu, w.Gpu, dx.Gpu, g);
        AssertAgree(dx, inputs, tolerance, $"input gradient {what}");

        var dw = Outputs(scope, dtype, weights);
        var db = Outputs(scope, dtype, g.OutChannels);
        Cpu.Conv2dBackwardWeight(x.Cpu, dy.Cpu, dw.Cpu, withBias ? db.Cpu : null, g);
        Gpu.Conv2dBackwardWeight(x.Gpu, dy.Gpu, dw.Gpu, withBias ? db.Gpu : null, g);
        AssertAgree(dw, weights, tolerance, $"weight gradient {what}");
        if (withBias)
        {
            AssertAgree(db, g.OutChannels, tolerance, $"bias gradient {what}");
        }
    }
}
