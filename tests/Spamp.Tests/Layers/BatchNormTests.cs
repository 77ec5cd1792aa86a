using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// BatchNorm1d/2d: PyTorch 1.13 parity in float32 (output, gradients with respect to input, weight and
/// bias, running statistics and num_batches_tracked after warm-up steps; training, evaluation,
/// cumulative momentum, no affine, untracked statistics), float64 gradchecks of the fused kernel in
/// both modes, buffer names and defaults.
/// </summary>
[TestFixture]
public sealed class BatchNormTests
{
    private static IEnumerable<TestCaseData> Cases() => ConvReference.Cases("batch_norm");

    private static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, generator: new Generator(seed));

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(JsonElement c)
    {
        using var scope = TensorScope.Begin();
        JsonElement a = c.GetProperty("args");
        Tensor x = ConvReference.Load(c.GetProperty("inputs")[0])!;
        bool affine = a.GetProperty("affine").GetBoolean(), track = a.GetProperty("track_running_stats").GetBoolean();
        double? momentum = a.GetProperty("momentum").ValueKind == JsonValueKind.Null ? null : a.GetProperty("momentum").GetDouble();
        using BatchNorm module = x.Rank == 4
            ? new BatchNorm2d(x.Shape[1], momentum: momentum, affine: affine, trackRunningStats: track)
            : new BatchNorm1d(x.Shape[1], momentum: momentum, affine: affine, trackRunningStats: track);
        if (affine)
        {
            module.Weight!.Data.CopyFrom(ConvReference.Load(c.GetProperty("inputs")[1])!);
            module.Bias!.Data.CopyFrom(ConvReference.Load(c.GetProperty("inputs")[2])!);
        }

        module.Train();
        using (Autograd.NoGrad())
        {
            foreach (JsonElement warmup in a.GetProperty("warmup").EnumerateArray())
            {
                module.Forward(new Variable(ConvReference.Load(warmup)!));
            }
        }

        module.Train(a.GetProperty("training").GetBoolean());
        var input = new Variable(x, requiresGrad: true);
        Variable output = module.Forward(input);
        PyTorchReference.AssertClose("output", output.Data, c.GetProperty("output"));
        output.Backward(ConvReference.Load(c.GetProperty("upstream")));
        JsonElement[] grads = c.GetProperty("grads").EnumerateArray().ToArray();
        PyTorchReference.AssertClose("input gradient", input.Grad!, grads[0]);
        if (affine)
        {
            PyTorchReference.AssertClose("weight gradient", module.Weight!.Grad!, grads[1]);
            PyTorchReference.AssertClose("bias gradient", module.Bias!.Grad!, grads[2]);
        }

        if (track)
        {
            PyTorchReference.AssertClose("running_mean", module.RunningMean!, c.GetProperty("running_mean"));
            PyTorchReference.AssertClose("running_var", module.RunningVar!, c.GetProperty("running_var"));
            Assert.That(module.NumBatchesTracked!.Item<long>(), Is.EqualTo(c.GetProperty("num_batches_tracked").GetInt64()));
        }
        else
        {
            Assert.That(module.RunningMean, Is.Null);
        }
    }

    [Test]
    public void TrainingGradientsMatchFiniteDifferences()
    {
        using var scope = TensorScope.Begin();
        GradCheckResult r = GradCheck.Check(v => Functional.BatchNorm(v[0], null, null, v[1], v[2], training: true), [Randn(1, 3, 2, 2, 3), Randn(2, 2), Randn(3, 2)]);
        Assert.That(r.Passed, Is.True, r.Report);
        GradCheckResult r1 = GradCheck.Check(v => Functional.BatchNorm(v[0], null, null, null, null, training: true, eps: 1e-3), [Randn(4, 5, 3)]);
        Assert.That(r1.Passed, Is.True, r1.Report);
    }

    [Test]
    public void EvaluationGradientsMatchFiniteDifferences()
    {
        using var scope = TensorScope.Begin();
        Tensor mean = Randn(5, 3);
        Tensor variance = Randn(6, 3).Square() + 0.5;
        GradCheckResult r = GradCheck.Check(v => Functional.BatchNorm(v[0], mean, variance, v[1], v[2], training: false), [Randn(7, 2, 3, 2, 2), Randn(8, 3), Randn(9, 3)]);
        Assert.That(r.Passed, Is.True, r.Report);
    }

    [Test]
    public void BuffersHavePyTorchNamesAndDefaults()
    {
        using var scope = TensorScope.Begin();
        using var bn = new BatchNorm2d(4);
        Assert.That(bn.Eps, Is.EqualTo(1e-5));
        Assert.That(bn.Momentum, Is.EqualTo(0.1));
        Assert.That(bn.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
        Assert.That(bn.NamedBuffers().Select(b => b.Name), Is.EqualTo(new[] { "running_mean", "running_var", "num_batches_tracked" }));
        Assert.That(bn.NumBatchesTracked!.DType, Is.EqualTo(DType.Int64));
        Assert.That(bn.Weight!.Data.ToArray<float>(), Is.All.EqualTo(1f));
        Assert.That(bn.RunningVar!.ToArray<float>(), Is.All.EqualTo(1f));
        Assert.That(bn.ToString(), Is.EqualTo("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"));
    }

    [Test]
    public void EvalModeLeavesRunningStatisticsAlone()
    {
        using var scope = TensorScope.Begin();
        using var bn = new BatchNorm1d(3);
        bn.Eval();
        bn.Forward(new Variable(Tensor.Randn([4, 3], generator: new Generator(1))));
        Assert.That(bn.RunningMean!.ToArray<float>(), Is.All.EqualTo(0f));
        Assert.That(bn.NumBatchesTracked!.Item<long>(), Is.Zero);
    }

    [Test]
    public void TrainingWithOneValuePerChannelThrows()
    {
        using var scope = TensorScope.Begin();
        using var bn = new BatchNorm1d(3);
        var e = Assert.Throws<ShapeMismatchException>(() => bn.Forward(new Variable(Tensor.Zeros([1, 3]))))!;
        Assert.That(e.Message, Does.Contain("more than 1 value per channel"));
        Assert.Throws<ShapeMismatchException>(() => new BatchNorm2d(3).Forward(new Variable(Tensor.Zeros([2, 3, 4]))));
    }
}
