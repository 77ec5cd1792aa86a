using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>AdaGC, ALGORITHMS.md 8.2 (T_start 2, lambda_abs 1, lambda_rel 1.04, beta 0.99, eps 1e-6).</summary>
[TestFixture]
public class AdaGCTests
{
    [Test]
    public void WarmupThenAdaptive()
    {
        Parameter a = Param(0, 0), b = Param(0);
        var rule = new RecordingRule();
        var adagc = new AdaGC { StartClipSteps = 2 };
        Optimizer opt = Make([a, b], rule, adagc);

        SetGrad(a, 3, 4);
        SetGrad(b, 12);
        opt.Step();
        Close(adagc.LastTotalNorm, 13);
        Close(rule.Last[0], [0.230769213018, 0.307692284024]);
        Close(rule.Last[1], [0.923076852071]);
        Close(adagc.GammaOf(0), 0.384615355030);
        Close(adagc.GammaOf(1), 0.923076852071);

        SetGrad(a, 0.3, 0.4);
        SetGrad(b, 0.5);
        opt.Step();
        Close(adagc.LastTotalNorm, 0.707106781187);
        Close(rule.Last[0], [0.3, 0.4]);
        Close(adagc.GammaOf(0), 0.384615355030);
        Close(adagc.GammaOf(1), 0.5);

        SetGrad(a, 3, 4);
        SetGrad(b, 0.5);
        StepReport r = opt.Step()!;
        Close(rule.Last[0], [0.239999933538, 0.319999911385]);
        Close(adagc.GammaOf(0), 0.384769201172);
        Close(rule.Last[1], [0.5]);
        Close(adagc.GammaOf(1), 0.5);
        Assert.That(r.Layers[0].Clipped, Is.True);
        Assert.That(r.Layers[1].Clipped, Is.False);
    }

    [Test]
    public void GammaFloorRestartsAZeroGamma()
    {
        Parameter a = Param(0);
        var rule = new RecordingRule();
        var adagc = new AdaGC { StartClipSteps = 1 };
        Optimizer opt = Make([a], rule, adagc);
        SetGrad(a, 0);
        opt.Step();
        Assert.That(adagc.GammaOf(0), Is.EqualTo(0.0));
        SetGrad(a, 2);
        opt.Step();
        Assert.That(rule.Last[0], Is.EqualTo(new double[] { 2 }), "the reference would clip this to 0 forever");
        Close(adagc.GammaOf(0), 2);
    }

    [Test]
    public void GlobalVariant()
    {
        Parameter a = Param(0, 0), b = Param(0);
        var rule = new RecordingRule();
        var adagc = new AdaGC { StartClipSteps = 1, Global = true };
        Optimizer opt = Make([a, b], rule, adagc);
        SetGrad(a, 0.3, 0.4);
        SetGrad(b, 0);
        opt.Step();
        Close(adagc.GammaOf(0), 0.5);
        SetGrad(a, 3, 4);
        SetGrad(b, 0);
        opt.Step();
        double c = 1.04 * 0.5 / (5 + 1e-6);
        Close(rule.Last[0], [3 * c, 4 * c]);
        Close(adagc.GammaOf(0), (0.99 * 0.5) + (0.01 * 0.52));
    }
}
