using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>Inverse-norm learning-rate scaling, ALGORITHMS.md 4.1.</summary>
[TestFixture]
public class GradNormScalingTests
{
    [Test]
    public void NormFiveScalesTheLearningRateOnly()
    {
        Parameter p = Param(0, 0);
        var rule = new RecordingRule();
        var scaling = new GradNormScaling();
        var opt = new Optimizer([p], 1e-3, 0, rule, [scaling]);
        SetGrad(p, 3, 4);
        opt.Step();
        Close(scaling.LastMu, 0.19999996, 1e-7);
        Close(rule.LearningRates[^1], 1.9999996e-4, 1e-7);
        Close(rule.LearningRates[^1], 1e-3 / (5 + 1e-6), 1e-12);
        Assert.That(rule.Last[0], Is.EqualTo(new double[] { 3, 4 }));
        // The schedule position is not touched: the next step starts from the base lr again.
        Assert.That(opt.ScheduledLearningRate(opt.Groups[0]), Is.EqualTo(1e-3));
    }

    [Test]
    public void SmallNormUncappedAndCapped()
    {
        Close(new GradNormScaling().Mu(0.01), 99.9900, 1e-6);
        Close(new GradNormScaling().Mu(0.01), 1 / 0.010001, 1e-12);
        Assert.That(new GradNormScaling(muMax: 10).Mu(0.01), Is.EqualTo(10.0));
    }

    [Test]
    public void NormalizeGradientMode()
    {
        Parameter p = Param(0, 0);
        var rule = new RecordingRule();
        var opt = new Optimizer([p], 1e-3, 0, rule, [new GradNormScaling(mode: GradNormMode.NormalizeGradient)]);
        SetGrad(p, 3, 4);
        opt.Step();
        Close(rule.Last[0], [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 1e-12);
        Assert.That(rule.LearningRates[^1], Is.EqualTo(1e-3));
    }
}
