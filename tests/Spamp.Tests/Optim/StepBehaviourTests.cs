using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>Per-layer hooks, grouping, parameter groups, missing gradients and the non-finite policies, through the user-facing optimizers.</summary>
[TestFixture]
public class StepBehaviourTests
{
    [Test]
    public void LayerHooksFireOncePerLayerPerStepAndCanRewriteGradients()
    {
        using Parameter w1 = Param([1.0, 1.0], null, "weight", "fc1"), b1 = Param([1.0], null, "bias", "fc1"), w2 = Param([1.0], null, "weight", "fc2");
        var opt = new Sgd([w1, b1, w2], lr: 0.1);
        var calls = new List<string>();
        using IDisposable all = opt.AddLayerHook((layer, _) => calls.Add(layer.Name));
        using IDisposable zeroFc2 = opt.AddLayerHook("fc2.weight", (layer, _) => layer.Parameters[0].Grad!.FillInPlace(0));
        for (int step = 0; step < 2; step++)
        {
            SetGrad(w1, 1, 1);
            SetGrad(b1, 1);
            SetGrad(w2, 1);
            opt.Step();
        }

        Assert.That(calls, Is.EqualTo(new[] { "fc1.weight", "fc1.bias", "fc2.weight", "fc1.weight", "fc1.bias", "fc2.weight" }));
        AssertClose([0.8, 0.8], Values(w1));
        AssertClose([1.0], Values(w2), what: "the hook zeroed fc2's gradient");
    }

    [Test]
    public void PerModuleGroupingGroupsByLayer()
    {
        using Parameter w1 = Param([1.0, 1.0], null, "weight", "fc1"), b1 = Param([1.0], null, "bias", "fc1"), w2 = Param([1.0], null, "weight", "fc2");
        var opt = new AdamW([w1, b1, w2]) { Grouping = LayerGrouping.PerModule };
        var seen = new List<(string, int)>();
        using IDisposable hook = opt.AddLayerHook((layer, _) => seen.Add((layer.Name, layer.Parameters.Count)));
        SetGrad(w1, 1, 1);
        SetGrad(b1, 1);
        SetGrad(w2, 1);
        opt.Step();
        Assert.That(seen, Is.EqualTo(new[] { ("fc1", 2), ("fc2", 1) }));
    }

    [Test]
    public void ParameterGroupsHaveTheirOwnLrAndWeightDecay()
    {
        using Parameter a = Param([1.0]), b = Param([1.0]);
        var opt = new Sgd([new ParameterGroup([a]), new ParameterGroup([b], lr: 0.01, weightDecay: 0.5)], lr: 0.1, weightDecay: 0.1);
        SetGrad(a, 1.0);
        SetGrad(b, 1.0);
        opt.Step();
        AssertClose([1 - (0.1 * 1.1)], Values(a));
        AssertClose([1 - (0.01 * 1.5)], Values(b));
    }

    [Test]
    public void ParametersWithoutGradientAreSkipped()
    {
        using Parameter a = Param([1.0]), b = Param([1.0]);
        var opt = new AdamW([a, b], lr: 0.1, weightDecay: 0.1);
        SetGrad(a, 1.0);
        opt.Step();
        Assert.Multiple(() =>
        {
            Assert.That(opt.States[1].Step, Is.Zero);
            Assert.That(opt.States[1].Buffers, Is.Empty);
            Assert.That(Values(b), Is.EqualTo(new[] { 1.0 }), "no decay either");
            Assert.That(opt.States[0].Step, Is.EqualTo(1));
        });
    }

    [Test]
    public void SkipStepLeavesEverythingUntouchedAndCountsTheSkip()
    {
        using Parameter a = Param([1.0, 2.0]), b = Param([3.0]);
        var opt = new AdamW([a, b], lr: 0.1);
        SetGrad(a, 0.5, 0.5);
        SetGrad(b, 0.5);
        opt.Step();
        double[] a1 = Values(a), b1 = Values(b);
        double[] m1 = opt.States[0].Buffers[AdamRule.ExpAvg].ToDoubleArray(), v1 = opt.States[0].Buffers[AdamRule.ExpAvgSq].ToDoubleArray();

        SetGrad(a, 0.5, double.NaN);
        SetGrad(b, 0.5);
        opt.Step();
        Assert.Multiple(() =>
        {
            Assert.That(Values(a), Is.EqualTo(a1));
            Assert.That(Values(b), Is.EqualTo(b1));
            Assert.That(opt.States[0].Buffers[AdamRule.ExpAvg].ToDoubleArray(), Is.EqualTo(m1));
            Assert.That(opt.States[0].Buffers[AdamRule.ExpAvgSq].ToDoubleArray(), Is.EqualTo(v1));
            Assert.That(opt.States[0].Step, Is.EqualTo(1));
            Assert.That(opt.StepCount, Is.EqualTo(1));
            Assert.That(opt.SkippedSteps, Is.EqualTo(1));
            Assert.That(a.Grad, Is.Null, "gradients are zeroed");
        });
    }

    [Test]
    public void ThrowPolicyNamesTheParameter()
    {
        using Parameter a = Param([1.0], null, "weight", "fc1"), b = Param([1.0], null, "bias", "fc2");
        var opt = new Sgd([a, b], lr: 0.1) { NonFinite = NonFinitePolicy.Throw };
        SetGrad(a, 1.0);
        SetGrad(b, double.PositiveInfinity);
        Assert.That(() => opt.Step(), Throws.TypeOf<NonFiniteGradientException>().With.Message.Contains("'fc2.bias'"));
        Assert.That(Values(a), Is.EqualTo(new[] { 1.0 }));
    }

    [Test]
    public void ShapingTransformRunsBeforeTheRule()
    {
        using Parameter a = Param([1.0, 1.0]);
        var opt = new Sgd([a], lr: 1.0, shaping: new HalveGradients());
        SetGrad(a, 1.0, 2.0);
        opt.Step();
        AssertClose([0.5, 0.0], Values(a));
        Assert.That(opt.Transforms, Has.Count.EqualTo(1));
    }

    private sealed class HalveGradients : IGradientTransform
    {
        public string Name => "halve";

        public void Apply(StepContext context)
        {
            for (int i = 0; i < context.Parameters.Count; i++)
            {
                context.ScaleGradient(i, 0.5);
            }
        }
    }
}
