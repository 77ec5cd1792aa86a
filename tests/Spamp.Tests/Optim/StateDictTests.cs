using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>Save, restore and continue bit for bit; a bad dict changes nothing.</summary>
[TestFixture]
public class StateDictTests
{
    public static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData((Func<Parameter[], Optimizer>)(ps => new AdamW(ps, lr: 1e-2, amsgrad: true))).SetArgDisplayNames("AdamW amsgrad");
        yield return new TestCaseData((Func<Parameter[], Optimizer>)(ps => new Adam(ps, lr: 1e-2, weightDecay: 0.01) { Schedule = new CosineWithWarmup(3, 12) })).SetArgDisplayNames("Adam + cosine");
        yield return new TestCaseData((Func<Parameter[], Optimizer>)(ps => new Sgd(ps, lr: 0.05, momentum: 0.9, nesterov: true))).SetArgDisplayNames("SGD Nesterov");
        yield return new TestCaseData((Func<Parameter[], Optimizer>)(ps => new Lion(ps, lr: 1e-3, weightDecay: 0.1))).SetArgDisplayNames("Lion");
        yield return new TestCaseData((Func<Parameter[], Optimizer>)(ps => new Muon(ps))).SetArgDisplayNames("Muon + AdamW");
        yield return new TestCaseData((Func<Parameter[], Optimizer>)(ps => Optimizer.Chain(ps, 1e-2, new ScaleByAdam(), new AddDecayedWeights(0.1), new ScaleByLearningRate()))).SetArgDisplayNames("chain AdamW");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void ResumedRunIsBitIdentical(Func<Parameter[], Optimizer> create)
    {
        Parameter[] original = MakeParams();
        Optimizer opt = create(original);
        Train(opt, original, 0, 5);
        StateDict saved = opt.StateDict();
        Parameter[] copies = [.. original.Select(p => new Parameter(p.Data.Clone(), p.Name, p.Layer))];
        Train(opt, original, 5, 5);

        Optimizer resumed = create(copies);
        resumed.LoadStateDict(saved);
        Train(resumed, copies, 5, 5);
        for (int j = 0; j < original.Length; j++)
        {
            Assert.That(copies[j].Data.ToArray<float>(), Is.EqualTo(original[j].Data.ToArray<float>()), $"parameter {j}");
        }

        Assert.That(resumed.StepCount, Is.EqualTo(10));
    }

    [Test]
    public void WrongShapeBufferThrowsAndChangesNothing()
    {
        Parameter[] ps = MakeParams();
        var opt = new AdamW(ps, lr: 1e-2);
        Train(opt, ps, 0, 2);
        StateDict state = opt.StateDict();
        float[] mBefore = opt.States[0].Buffers[AdamRule.ExpAvg].ToArray<float>();
        state["step_count"] = 99L;
        state["param.1.step"] = 42L;
        state["param.0.buffer.exp_avg"] = TensorScope.Detach(Tensor.Zeros(new Shape(7), DType.Float32));
        Assert.That(() => opt.LoadStateDict(state), Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("param.0.buffer.exp_avg"));
        Assert.Multiple(() =>
        {
            Assert.That(opt.StepCount, Is.EqualTo(2));
            Assert.That(opt.States[1].Step, Is.EqualTo(2));
            Assert.That(opt.States[0].Buffers[AdamRule.ExpAvg].ToArray<float>(), Is.EqualTo(mBefore));
        });
    }

    [Test]
    public void StateUsesPyTorchBufferNames()
    {
        Parameter[] ps = MakeParams();
        var opt = new AdamW(ps, amsgrad: true);
        Train(opt, ps, 0, 1);
        StateDict state = opt.StateDict();
        Assert.That(state.Keys, Does.Contain("param.0.buffer.exp_avg").And.Contain("param.0.buffer.exp_avg_sq").And.Contain("param.0.buffer.max_exp_avg_sq").And.Contain("param.0.step"));
    }

    private static Parameter[] MakeParams() =>
    [
        Param(RandomFloats(24, 1), [4, 6], "weight", "fc1"),
        Param(RandomFloats(4, 2), null, "bias", "fc1"),
        Param(RandomFloats(40, 3), [5, 8], "weight", "fc2"),
    ];

    private static void Train(Optimizer opt, Parameter[] ps, int firstStep, int steps)
    {
        for (int k = firstStep; k < firstStep + steps; k++)
        {
            for (int j = 0; j < ps.Length; j++)
            {
                SetGrad(ps[j], RandomFloats(ps[j].Data.Numel, (k * 31) + j, 1 + (k % 3)));
            }

            opt.Step();
        }
    }
}
