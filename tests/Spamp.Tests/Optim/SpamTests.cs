using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>SPAM, ALGORITHMS.md 6.5 (S1, S2), and the chain pieces for SPAM on top of another Adam.</summary>
[TestFixture]
public class SpamTests
{
    [Test]
    public void S1WarmupScale()
    {
        Close(SpamWarmup.Scale(0, 150), 0.01);
        Close(SpamWarmup.Scale(1, 150), 0.010107128590);
        Close(SpamWarmup.Scale(10, 150), 0.020674656821);
        Close(SpamWarmup.Scale(75, 150), 0.499850793654);
        Close(SpamWarmup.Scale(149, 150), 0.999571532010);
        Assert.That(SpamWarmup.Scale(150, 150), Is.EqualTo(1.0));
        double[] n4 = [0.01, 0.104536587784, 0.352036587784, 0.657963412216, 1];
        for (int s = 0; s <= 4; s++)
        {
            Close(SpamWarmup.Scale(s, 4), n4[s]);
        }
    }

    [Test]
    public void S2TwoStepsWithSpikeClipping()
    {
        Parameter p = Param(1, 1);
        var rule = new SpamRule { ResetInterval = long.MaxValue, ClipOffWindow = 2 };
        var opt = new Optimizer([p], 1e-3, 0, rule);
        SetGrad(p, 1, 1);
        opt.Step();
        ParameterState s = opt.States[0];
        Close(s.Buffer("exp_avg").ToDoubleArray(), [0.1, 0.1]);
        Close(s.Buffer("exp_avg_sq").ToDoubleArray(), [0.001, 0.001]);
        Close(p.Data.ToDoubleArray(), [0.999000031622, 0.999000031622]);

        SetGrad(p, 1, 100);
        opt.Step();
        Close(p.Grad!.ToDoubleArray(), [1, 2.236067977500]);
        Assert.That(rule.LastClipped, Is.EqualTo(1));
        Close(s.Buffer("exp_avg").ToDoubleArray(), [0.19, 0.313606797750]);
        Close(s.Buffer("exp_avg_sq").ToDoubleArray(), [0.001999, 0.005999]);
        Close(p.Data.ToDoubleArray(), [0.998000053988, 0.998047250319]);
    }

    [Test]
    public void MomentumResetZeroesMomentsAndRestartsTheWarmup()
    {
        Parameter p = Param(1);
        var rule = new SpamRule { ResetInterval = 3, WarmupSteps = 4, ClipOffWindow = 1 };
        var opt = new Optimizer([p], 1e-3, 0, rule);
        for (int k = 1; k <= 3; k++)
        {
            SetGrad(p, 1);
            opt.Step();
        }

        // At k = 3 the moments were zeroed before this step's update: m = 0.1, v = 0.001 again.
        Close(opt.States[0].Buffer("exp_avg").ToDoubleArray(), [0.1]);
        Close(opt.States[0].Buffer("exp_avg_sq").ToDoubleArray(), [0.001]);
        Assert.That(opt.States[0].Step, Is.EqualTo(3));
        Assert.That(SpamMomentumReset.WarmupPosition(3, 3, 4), Is.EqualTo(0));
        Assert.That(SpamMomentumReset.WarmupPosition(2, 3, 4), Is.EqualTo(6));
    }

    [Test]
    public void SpikeClipTransformReadsTheSharedSecondMoment()
    {
        // A stand-in Adam that keeps exp_avg_sq: v = 0.001 after a unit gradient, as in S2.
        Parameter p = Param(0, 0);
        var rule = new RecordingRule();
        var clip = new SpamSpikeClip { ResetInterval = long.MaxValue, ClipOffWindow = 2 };
        Optimizer opt = Make([p], rule, clip);
        SetGrad(p, 1, 100);
        opt.Step();
        Assert.That(rule.Last[0], Is.EqualTo(new double[] { 1, 100 }), "no second moment yet: nothing clipped");
        opt.States[0].Buffer("exp_avg_sq").CopyFrom(Tensor.From(new[] { 0.001, 0.001 }, 2));
        SetGrad(p, 1, 100);
        opt.Step();
        Close(rule.Last[0], [1, 2.236067977500]);
        Assert.That(clip.LastClipped, Is.EqualTo(1));
    }

    [Test]
    public void MomentumResetTransformZeroesBuffersAndScalesTheLearningRate()
    {
        Parameter p = Param(0);
        var rule = new RecordingRule();
        Optimizer opt = Make([p], rule, new SpamMomentumReset { ResetInterval = 2, WarmupSteps = 4 });
        SetGrad(p, 1);
        opt.Step();
        Assert.That(rule.LearningRates[^1], Is.EqualTo(1.0));
        opt.States[0].Buffer("exp_avg").FillInPlace(5);
        SetGrad(p, 1);
        opt.Step();
        Assert.That(opt.States[0].Buffer("exp_avg").ToDoubleArray(), Is.EqualTo(new double[] { 0 }));
        Close(rule.LearningRates[^1], 0.01);
        SetGrad(p, 1);
        opt.Step();
        Close(rule.LearningRates[^1], 0.104536587784);
    }
}
