using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>ZClip, ALGORITHMS.md 5.4 (Z1-Z6): mean 1, var 0.25, z 2.5, alpha 0.97, norm 3.</summary>
[TestFixture]
public class ZClipTests
{
    private static (double Coef, ZClip Z) Run(ZClip z, double norm = 3.0)
    {
        z.SetStatistics(1.0, 0.25);
        Parameter p = Param(0);
        var rule = new RecordingRule();
        Optimizer opt = Make([p], rule, z);
        SetGrad(p, norm);
        opt.Step();
        return (rule.Last[0][0] / norm, z);
    }

    [Test]
    public void Z1AdaptiveScaling()
    {
        var (coef, z) = Run(new ZClip { MaxGradNorm = null });
        Close((3.0 - 1.0) / (0.5 + 1e-6), 3.999992000016);
        Close(coef, 0.593750322917);
        Close(coef * (3 + 1e-6), 1.7812515625);
        Close(z.Mean, 1.023437546875);
        Close(z.Variance, 0.259728462468);
        Close(z.LastNorm, 3);
    }

    [Test]
    public void Z2HardCapOnTopButTheEmaTakesTheAdaptiveThreshold()
    {
        var (coef, z) = Run(new ZClip { MaxGradNorm = 1.0 });
        Close(coef, 0.333333222222);
        Close(z.Mean, 1.023437546875);
        Close(z.Variance, 0.259728462468);
    }

    [Test]
    public void Z3ClipToMean()
    {
        var (coef, z) = Run(new ZClip { MaxGradNorm = null, ClipOption = ZClipOption.Mean });
        Close(coef, 0.333333222222);
        Close(z.Mean, 1.0);
        Close(z.Variance, 0.2425);
    }

    [Test]
    public void Z4Percentile()
    {
        var (coef, z) = Run(new ZClip { MaxGradNorm = null, Mode = ZClipMode.Percentile });
        Close(coef, 0.749999750000);
        Close(z.Mean, 1.0375);
        Close(z.Variance, 0.2866046875);
    }

    [Test]
    public void Z5NoSpike()
    {
        var (coef, z) = Run(new ZClip { MaxGradNorm = null }, 1.5);
        Assert.That(coef, Is.EqualTo(1.0));
        Close(z.Mean, 1.015);
        Close(z.Variance, 0.24955675);
    }

    [Test]
    public void SkipUpdateOnSpikeKeepsTheEma()
    {
        var (coef, z) = Run(new ZClip { MaxGradNorm = null, SkipUpdateOnSpike = true });
        Close(coef, 0.593750322917);
        Assert.That(z.Mean, Is.EqualTo(1.0));
        Assert.That(z.Variance, Is.EqualTo(0.25));
    }

    [Test]
    public void Z6WarmupInitialisesFromTheBufferAndOnlyHardClips()
    {
        var z = new ZClip { WarmupSteps = 3, MaxGradNorm = 2.5 };
        Parameter p = Param(0);
        var rule = new RecordingRule();
        Optimizer opt = Make([p], rule, z);
        foreach (double n in new[] { 1.0, 2.0, 3.0 })
        {
            Assert.That(z.Initialized, Is.False);
            SetGrad(p, n);
            opt.Step();
        }

        Assert.That(z.Initialized, Is.True);
        Close(z.Mean, 2);
        Close(z.Variance, 0.666666666667);
        // The third warmup step only had the hard clip (PyTorch semantics).
        Close(rule.Last[0][0], 3 * 2.5 / (3 + 1e-6));
    }
}
