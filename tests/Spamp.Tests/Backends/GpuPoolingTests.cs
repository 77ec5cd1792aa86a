using NUnit.Framework;
using Spamp.Memory;

namespace Spamp.Tests.Backends;

/// <summary>
/// The GPU pooling kernels against the CPU backend on random windows (odd sizes, strides, padding,
/// dilation, ceil mode, batch 1). Max pooling's values and indices must be identical, ties and NaN
/// included; its gradient too, since each input element gathers in the CPU's order. Average pooling
/// agrees to 1e-6 in float32 (a GPU's division need not be correctly rounded) and 1e-12 in float64.
/// </summary>
public sealed class GpuPoolingTests : GpuVsCpuFixture
{
    private const int Rounds = 24;

    [Test]
    public void MaxPoolingAgreesExactly([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        RequireDType(dtype);
        for (int round = 0; round < Rounds; round++)
        {
            Pool2dGeometry g = RandomWindow(maxDilation: 2);
            int inputs = g.InputShape.Numel, outputs = g.OutputShape.Numel;
            double[] values = Values(dtype, inputs);
            if (round % 3 == 1)
            {
                // Few distinct values: ties, where the first tap in the window must win.
                values = [.. values.Select(v => Math.Round(v))];
            }
            else if (round % 3 == 2)
            {
                values[Random.Next(inputs)] = double.NaN;
            }

            string what = $"{dtype} {g}";
            using var scope = new StorageScope();
            var x = Both(scope, dtype, values);
            var y = Outputs(scope, dtype, outputs);
            var indices = Outputs(scope, DType.Int64, outputs);
            Cpu.MaxPool2d(x.Cpu, y.Cpu, indices.Cpu, g);
            Gpu.MaxPool2d(x.Gpu, y.Gpu, indices.Gpu, g);
            AssertAgree(y, outputs, 0, $"max_pool2d {what}");
            AssertAgree(indices, outputs, 0, $"max_pool2d indices {what}");

            var dy = Both(scope, dtype, Values(dtype, outputs));
            var dx = Outputs(scope, dtype, inputs);
            Cpu.MaxPool2dBackward(dy.Cpu, indices.Cpu, dx.Cpu, g);
            Gpu.MaxPool2dBackward(dy.Gpu, indices.Gpu, dx.Gpu, g);
            AssertAgree(dx, inputs, 0, $"max_pool2d backward {what}");
        }
    }

    [Test]
    public void AveragePoolingAgrees([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        RequireDType(dtype);
        double tolerance = dtype == DType.Float32 ? 1e-6 : 1e-12;
        for (int round = 0; round < Rounds; round++)
        {
            Pool2dGeometry g = RandomWindow(maxDilation: 1);
            bool countIncludePad = Random.Next(2) == 0;
            int divisorOverride = Random.Next(3) == 0 ? Random.Next(1, 6) : 0;
            int inputs = g.InputShape.Numel, outputs = g.OutputShape.Numel;
            string what = $"{dtype} {g} countIncludePad={countIncludePad} divisorOverride={divisorOverride}";
            using var scope = new StorageScope();
            var x = Both(scope, dtype, Values(dtype, inputs));
            var y = Outputs(scope, dtype, outputs);
            Cpu.AvgPool2d(x.Cpu, y.Cpu, g, countIncludePad, divisorOverride);
            Gpu.AvgPool2d(x.Gpu, y.Gpu, g, countIncludePad, divisorOverride);
            AssertAgree(y, outputs, tolerance, $"avg_pool2d {what}");

            var dy = Both(scope, dtype, Values(dtype, outputs));
            var dx = Outputs(scope, dtype, inputs);
            Cpu.AvgPool2dBackward(dy.Cpu, dx.Cpu, g, countIncludePad, divisorOverride);
            Gpu.AvgPool2dBackward(dy.Gpu, dx.Gpu, g, countIncludePad, divisorOverride);
            AssertAgree(dx, inputs, tolerance, $"avg_pool2d backward {what}");
        }
    }

    [Test]
    public void AdaptiveAveragePoolingAgrees([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        RequireDType(dtype);
        double tolerance = dtype == DType.Float32 ? 1e-6 : 1e-12;
        for (int round = 0; round < Rounds; round++)
        {
            var input = new Shape(Random.Next(1, 4), Random.Next(1, 5), Random.Next(1, 14), Random.Next(1, 14));
            // Outputs larger than the input too: then windows repeat input elements.
            Size2 outputSize = (Random.Next(1, input[2] + 3), Random.Next(1, input[3] + 3));
            Pool2dGeometry g = Pool2dGeometry.ResolveAdaptive("adaptive_avg_pool2d", input, outputSize);
            int inputs = g.InputShape.Numel, outputs = g.OutputShape.Numel;
            string what = $"{dtype} {g}";
            using var scope = new StorageScope();
            var x = Both(scope, dtype, Values(dtype, inputs));
            var y = Outputs(scope, dtype, outputs);
            Cpu.AdaptiveAvgPool2d(x.Cpu, y.Cpu, g);
            Gpu.AdaptiveAvgPool2d(x.Gpu, y.Gpu, g);
            AssertAgree(y, outputs, tolerance, $"adaptive_avg_pool2d {what}");

            var dy = Both(scope, dtype, Values(dtype, outputs));
            var dx = Outputs(scope, dtype, inputs);
            Cpu.AdaptiveAvgPool2dBackward(dy.Cpu, dx.Cpu, g);
            Gpu.AdaptiveAvgPool2dBackward(dy.Gpu, dx.Gpu, g);
            AssertAgree(dx, inputs, tolerance, $"adaptive_avg_pool2d backward {what}");
        }
    }

    private Pool2dGeometry RandomWindow(int maxDilation)
    {
        while (true)
        {
            var input = new Shape(Random.Next(1, 4), Random.Next(1, 5), Random.Next(1, 14), Random.Next(1, 14));
            Size2 kernel = (Random.Next(1, 5), Random.Next(1, 5));
            Size2 stride = (Random.Next(1, 4), Random.Next(1, 4));
            Size2 padding = (Random.Next(0, (kernel.Height / 2) + 1), Random.Next(0, (kernel.Width / 2) + 1));
            Size2 dilation = (Random.Next(1, maxDilation + 1), Random.Next(1, maxDilation + 1));
            try
            {
                return Pool2dGeometry.Resolve("pool2d", input, kernel, stride, padding, dilation, ceilMode: Random.Next(2) == 0);
            }
            catch (ShapeMismatchException)
            {
                // The window does not fit the input: draw again.
            }
        }
    }
}
