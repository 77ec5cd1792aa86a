using NUnit.Framework;
using Spamp.Memory;

namespace Spamp.Tests.Backends;

/// <summary>
/// The GPU batch norm and group norm kernels against the CPU backend: training and evaluation,
/// running statistics updated with momentum (unbiased variance, NaN for a single element), optional
/// affine parameters and gradient outputs, channels longer than a work-group, inputs with a large
/// mean. float32 agrees to 1e-5 and float64 to 1e-12, relative to the largest expected magnitude.
/// </summary>
public sealed class GpuNormalizationTests : GpuVsCpuFixture
{
    private const int Rounds = 16;

    [Test]
    public void BatchNormAgrees([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        RequireDType(dtype);
        double tolerance = Tolerance(dtype);
        for (int round = 0; round < Rounds; round++)
        {
            // Round 0 has one element per channel; round 1 channels longer than a work-group.
            int batch = round == 0 ? 1 : Random.Next(1, 5);
            int channels = Random.Next(1, 7);
            int spatial = round == 0 ? 1 : round == 1 ? 500 : Random.Next(1, 40);
            bool training = round < 2 || Random.Next(3) > 0;
            bool affine = Random.Next(2) == 0, running = !training || Random.Next(2) == 0;
            int count = batch * channels * spatial;
            string what = $"{dtype} [{batch}, {channels}, {spatial}] training={training} affine={affine} running={running}";

            using var scope = new StorageScope();
            var x = Both(scope, dtype, Values(dtype, count, shift: 3));
            var weight = Both(scope, dtype, Values(dtype, channels));
            var bias = Both(scope, dtype, Values(dtype, channels));
            var runningMean = Both(scope, dtype, Values(dtype, channels));
            var runningVar = Both(scope, dtype, Values(dtype, channels, scale: 1, shift: 1.5));
            var y = Outputs(scope, dtype, count);
            var saveMean = Outputs(scope, dtype, channels);
            var saveInvstd = Outputs(scope, dtype, channels);
            Cpu.BatchNorm(x.Cpu, batch, channels, spatial, affine ? weight.Cpu : null, affine ? bias.Cpu : null,
                running ? runningMean.Cpu : null, running ? runningVar.Cpu : null, training, 0.1, 1e-5, y.Cpu, saveMean.Cpu, saveInvstd.Cpu);
            Gpu.BatchNorm(x.Gpu, batch, channels, spatial, affine ? weight.Gpu : null, affine ? bias.Gpu : null,
                running ? runningMean.Gpu : null, running ? runningVar.Gpu : null, training, 0.1, 1e-5, y.Gpu, saveMean.Gpu, saveInvstd.Gpu);
            AssertAgree(y, count, tolerance, $"batch_norm y {what}");
            AssertAgree(saveMean, channels, tolerance, $"batch_norm mean {what}");
            AssertAgree(saveInvstd, channels, tolerance, $"batch_norm invstd {what}");
            AssertAgree(runningMean, channels, tolerance, $"batch_norm running mean {what}");
            AssertAgree(runningVar, channels, tolerance, $"batch_norm running var {what}");

            bool wantInput = Random.Next(4) > 0, wantWeight = Random.Next(2) == 0, wantBias = Random.Next(2) == 0;
            var dy = Both(scope, dtype, Values(dtype, count));
            var dx = Outputs(scope, dtype, count);
            var dw = Outputs(scope, dtype, channels);
            var db = Outputs(scope, dtype, channels);
            Cpu.BatchNormBackward(x.Cpu, dy.Cpu, saveMean.Cpu, saveInvstd.Cpu, affine ? weight.Cpu : null, batch, channels, spatial, training,
                wantInput ? dx.Cpu : null, wantWeight ? dw.Cpu : null, wantBias ? db.Cpu : null);
            Gpu.BatchNormBackward(x.Gpu, dy.Gpu, saveMean.Gpu, saveInvstd.Gpu, affine ? weight.Gpu : null, batch, channels, spatial, training,
                wantInput ? dx.Gpu : null, wantWeight ? dw.Gpu : null, wantBias ? db.Gpu : null);
            if (batch * spatial <= 2 && training)
            {
                // With one or two elements per channel the input gradient is exactly 0: the CPU's and GPU's are rounding noise.
                wantInput = false;
            }

            AssertGradients(what, "batch_norm", (wantInput, dx, count), (wantWeight, dw, channels), (wantBias, db, channels), tolerance);
        }
    }

    [Test]
    public void GroupNormAgrees([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        RequireDType(dtype);
        double tolerance = Tolerance(dtype);
        for (int round = 0; round < Rounds; round++)
        {
            int batch = Random.Next(1, 4), groups = Random.Next(1, 5), perGroup = Random.Next(1, 5);
            int spatial = round == 0 ? 1 : round == 1 ? 300 : Random.Next(1, 30);
            int channels = groups * perGroup, rows = batch * groups, count = batch * channels * spatial;
            bool affine = Random.Next(2) == 0;
            string what = $"{dtype} [{batch}, {channels}, {spatial}] groups={groups} affine={affine}";

            using var scope = new StorageScope();
            var x = Both(scope, dtype, Values(dtype, count, shift: 3));
            var weight = Both(scope, dtype, Values(dtype, channels));
            var bias = Both(scope, dtype, Values(dtype, channels));
            var y = Outputs(scope, dtype, count);
            var mean = Outputs(scope, dtype, rows);
            var rstd = Outputs(scope, dtype, rows);
            Cpu.GroupNorm(x.Cpu, batch, channels, spatial, groups, affine ? weight.Cpu : null, affine ? bias.Cpu : null, 1e-5, y.Cpu, mean.Cpu, rstd.Cpu);
            Gpu.GroupNorm(x.Gpu, batch, channels, spatial, groups, affine ? weight.Gpu : null, affine ? bias.Gpu : null, 1e-5, y.Gpu, mean.Gpu, rstd.Gpu);
            AssertAgree(y, count, tolerance, $"group_norm y {what}");
            AssertAgree(mean, rows, tolerance, $"group_norm mean {what}");
            AssertAgree(rstd, rows, tolerance, $"group_norm rstd {what}");

            // With one or two elements per row the input gradient is exactly 0: both backends' are rounding noise.
            bool wantInput = Random.Next(4) > 0 && perGroup * spatial > 2, wantWeight = Random.Next(2) == 0, wantBias = Random.Next(2) == 0;
            var dy = Both(scope, dtype, Values(dtype, count));
            var dx = Outputs(scope, dtype, count);
            var dw = Outputs(scope, dtype, channels);
            var db = Outputs(scope, dtype, channels);
            Cpu.GroupNormBackward(x.Cpu, dy.Cpu, mean.Cpu, rstd.Cpu, affine ? weight.Cpu : null, batch, channels, spatial, groups,
                wantInput ? dx.Cpu : null, wantWeight ? dw.Cpu : null, wantBias ? db.Cpu : null);
            Gpu.GroupNormBackward(x.Gpu, dy.Gpu, mean.Gpu, rstd.Gpu, affine ? weight.Gpu : null, batch, channels, spatial, groups,
                wantInput ? dx.Gpu : null, wantWeight ? dw.Gpu : null, wantBias ? db.Gpu : null);
            AssertGradients(what, "group_norm", (wantInput, dx, count), (wantWeight, dw, channels), (wantBias, db, channels), tolerance);
        }
    }

    private void AssertGradients(string what, string op, (bool Wanted, (Storage Cpu, Storage Gpu) Pair, int Count) input,
        (bool Wanted, (Storage Cpu, Storage Gpu) Pair, int Count) weight, (bool Wanted, (Storage Cpu, Storage Gpu) Pair, int Count) bias, double tolerance)
    {
        if (input.Wanted)
        {
            AssertAgree(input.Pair, input.Count, tolerance, $"{op} input gradient {what}");
        }

        if (weight.Wanted)
        {
            AssertAgree(weight.Pair, weight.Count, tolerance, $"{op} weight gradient {what}");
        }

        if (bias.Wanted)
        {
            AssertAgree(bias.Pair, bias.Count, tolerance, $"{op} bias gradient {what}");
        }
    }
}
