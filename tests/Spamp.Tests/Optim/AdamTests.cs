using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>ALGORITHMS.md 10.5 A1-A5 in float64 (1e-9 relative), plus validation.</summary>
[TestFixture]
public class AdamTests
{
    private static readonly double[] G1 = [0.1, -0.2, 0.3];

    [Test]
    public void A1_A2_AdamDefaults()
    {
        using Parameter p = Param([1.0, 1.0, 1.0]);
        var opt = new Adam([p]);
        SetGrad(p, G1);
        opt.Step();
        ParameterState s = opt.States[0];
        AssertClose([0.01, -0.02, 0.03], s.Buffers[AdamRule.ExpAvg].ToDoubleArray(), what: "m1");
        AssertClose([1e-5, 4e-5, 9e-5], s.Buffers[AdamRule.ExpAvgSq].ToDoubleArray(), what: "v1");
        AssertClose([0.999000000100, 1.000999999950, 0.999000000033], Values(p), what: "theta1");
        Assert.That(s.Step, Is.EqualTo(1));

        SetGrad(p, 0.1, 0.1, 0.1);
        opt.Step();
        AssertClose([0.019, -0.008, 0.037], s.Buffers[AdamRule.ExpAvg].ToDoubleArray(), what: "m2");
        AssertClose([1.999e-5, 4.996e-5, 9.991e-5], s.Buffers[AdamRule.ExpAvgSq].ToDoubleArray(), what: "v2");
        AssertClose([0.998000000200, 1.001266336973, 0.998128936122], Values(p), what: "theta2");
    }

    [Test]
    public void A3_AdamCoupledWeightDecay()
    {
        using Parameter p = Param([1.0, 1.0, 1.0]);
        var opt = new Adam([p], weightDecay: 0.1);
        SetGrad(p, G1);
        opt.Step();
        AssertClose([0.02, -0.01, 0.04], opt.States[0].Buffers[AdamRule.ExpAvg].ToDoubleArray(), what: "m (effective gradient [0.2, -0.1, 0.4])");
        AssertClose([0.999000000050, 1.000999999900, 0.999000000025], Values(p));
    }

    [Test]
    public void A4_AdamWDecoupledWeightDecay()
    {
        using Parameter p = Param([1.0, 1.0, 1.0]);
        var opt = new AdamW([p], weightDecay: 0.01);
        SetGrad(p, G1);
        opt.Step();
        AssertClose([0.998990000100, 1.000989999950, 0.998990000033], Values(p));
    }

    [TestCase(true, new[] { 0.999000000010, 0.998330276878, 0.997812837872 })]
    [TestCase(false, new[] { 0.999000000010, 0.998329941765, 0.997811984802 })]
    public void A5_AmsgradAgainstPlainAdam(bool amsgrad, double[] expected)
    {
        using Parameter p = Param([1.0]);
        var opt = new Adam([p], amsgrad: amsgrad);
        double[] gradients = [1, 0, 0];
        for (int k = 0; k < 3; k++)
        {
            SetGrad(p, gradients[k]);
            opt.Step();
            AssertClose([expected[k]], Values(p), what: $"step {k + 1}");
        }

        Assert.That(opt.States[0].Buffers.ContainsKey(AdamRule.MaxExpAvgSq), Is.EqualTo(amsgrad));
    }

    [Test]
    public void MaximizeAscends()
    {
        using Parameter p = Param([1.0, 1.0, 1.0]);
        var opt = new Adam([p], maximize: true);
        SetGrad(p, G1);
        opt.Step();
        AssertClose([1.000999999900, 0.999000000050, 1.000999999967], Values(p));
    }

    [Test]
    public void ValidatesHyperparameters()
    {
        using Parameter p = Param([1.0]);
        Assert.That(() => new Adam([p], betas: (1.0, 0.999)), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("invalid beta parameter at index 0: 1"));
        Assert.That(() => new AdamW([p], betas: (0.9, -0.1)), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("AdamW: invalid beta parameter at index 1: -0.1"));
        Assert.That(() => new Adam([p], eps: -1e-8), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("invalid epsilon value"));
        Assert.That(() => new AdamW([p], lr: -1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("invalid learning rate -1"));
        Assert.That(() => new AdamW([p], weightDecay: -0.1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("invalid weight decay"));
        Assert.That(() => new AdamW([p], lr: double.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void DefaultsArePyTorchs()
    {
        using Parameter p = Param([1.0]);
        var adamW = new AdamW([p]);
        Assert.Multiple(() =>
        {
            Assert.That(adamW.Groups[0].LearningRate, Is.EqualTo(1e-3));
            Assert.That(adamW.Groups[0].WeightDecay, Is.EqualTo(1e-2));
            Assert.That(adamW.AdamRule.Beta1, Is.EqualTo(0.9));
            Assert.That(adamW.AdamRule.Beta2, Is.EqualTo(0.999));
            Assert.That(adamW.AdamRule.Eps, Is.EqualTo(1e-8));
            Assert.That(new Adam([p]).Groups[0].WeightDecay, Is.Zero);
        });
    }
}
