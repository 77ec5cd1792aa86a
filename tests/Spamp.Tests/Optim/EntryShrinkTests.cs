using Spamp.Backends;
using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>Entry-wise shrinkage, ALGORITHMS.md 9.5 (E1-E3), with MinCount 1.</summary>
[TestFixture]
public class EntryShrinkTests
{
    private static double[] Run(ShrinkFunction f, double[] y, int minCount = 1)
    {
        Parameter p = Param(new double[y.Length]);
        var rule = new RecordingRule();
        Optimizer opt = Make([p], rule, new EntryShrink { Function = f, MinCount = minCount });
        SetGrad(p, y);
        opt.Step();
        return rule.Last[0];
    }

    private static readonly double[] E1 = [1, -2, 0.5, 40];

    [Test]
    public void E1GaussGate()
    {
        double[] r = Run(ShrinkFunction.GaussGate, E1);
        Close(r[..3], [0.999628987126, -1.998995199439, 0.499828034529]);
        Assert.That(r[3], Is.EqualTo(0.0).Within(1e-60));
    }

    [Test]
    public void E1HardClamp() => Close(Run(ShrinkFunction.HardClamp, E1), [1, -2, 0.5, 8.8956]);

    [Test]
    public void E1SoftClip() => Close(Run(ShrinkFunction.SoftClip, E1), [0.993740682575, -1.951290421371, 0.499212044003, 8.683460983331]);

    [Test]
    public void E1CauchyScore() => Close(Run(ShrinkFunction.CauchyScore, E1), [0.987520544204, -1.903767154267, 0.498425329755, 1.885062366226]);

    [Test]
    public void E2SparseGradientKeepsANonZeroScale()
    {
        double[] y = [0, 0, 0, 0.5, -1, 30];
        double[] gate = Run(ShrinkFunction.GaussGate, y);
        Close(gate[..5], [0, 0, 0, 0.499822516868, -0.999579031338]);
        Assert.That(gate[5], Is.EqualTo(0.0).Within(1e-60));
        Close(Run(ShrinkFunction.HardClamp, y), [0, 0, 0, 0.5, -1, 5.9304]);
    }

    [Test]
    public void E3ZeroOrTooFewEntriesAreUnchanged()
    {
        Assert.That(Run(ShrinkFunction.GaussGate, [0, 0, 0]), Is.EqualTo(new double[] { 0, 0, 0 }));
        Assert.That(Run(ShrinkFunction.HardClamp, E1, minCount: 16), Is.EqualTo(E1));
    }

    [Test]
    public void EmaMadScaleStartsAtTheMad()
    {
        Parameter p = Param(new double[4]);
        var rule = new RecordingRule();
        Optimizer opt = Make([p], rule, new EntryShrink { Function = ShrinkFunction.HardClamp, MinCount = 1, Scale = ShrinkScale.EmaMad });
        SetGrad(p, E1);
        opt.Step();
        Close(rule.Last[0], [1, -2, 0.5, 8.8956]);
    }

    [Test]
    public void ShrinkInPlaceForRulesThatShrinkInside()
    {
        using Tensor t = Tensor.From((double[])E1.Clone(), 4);
        Assert.That(EntryShrink.ShrinkInPlace(t, ShrinkFunction.HardClamp, minCount: 1), Is.True);
        Close(t.ToDoubleArray(), [1, -2, 0.5, 8.8956]);
    }
}
