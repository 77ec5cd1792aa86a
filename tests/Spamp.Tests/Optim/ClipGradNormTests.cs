using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>Global, per-layer and value clipping: ALGORITHMS.md 2.3 (C1-C5).</summary>
[TestFixture]
public class ClipGradNormTests
{
    private static (Optimizer Opt, RecordingRule Rule, Parameter A, Parameter B) C1Setup(params IGradientTransform[] chain)
    {
        Parameter a = Param(0, 0), b = Param(0);
        var rule = new RecordingRule();
        Optimizer opt = Make([a, b], rule, chain);
        SetGrad(a, 3, 4);
        SetGrad(b, 12);
        return (opt, rule, a, b);
    }

    [Test]
    public void C1GlobalClipToOne()
    {
        var clip = new ClipGradNorm(1.0);
        var (opt, rule, _, _) = C1Setup(clip);
        StepReport report = opt.Step()!;
        Close(clip.LastTotalNorm, 13);
        Close(rule.Last[0], [0.230769213018, 0.307692284024]);
        Close(rule.Last[1], [0.923076852071]);
        Close(report.GlobalNormAfter, 13 / (13 + 1e-6));
        Assert.That(report.Layers.All(l => l.Clipped), Is.True);
    }

    [Test]
    public void C2TotalEqualToMaxNormStillShrinksByTheEpsilon()
    {
        var clip = new ClipGradNorm(5.0);
        Parameter a = Param(0, 0);
        var rule = new RecordingRule();
        Optimizer opt = Make([a], rule, clip);
        SetGrad(a, 3, 4);
        opt.Step();
        double c = 5 / (5 + 1e-6);
        Close(c, 0.9999998, 1e-7);
        Close(rule.Last[0], [3 * c, 4 * c]);
        Close(rule.Last[0], [2.9999994, 3.9999992], 1e-7);
    }

    [Test]
    public void C3InfinityNorm()
    {
        var clip = new ClipGradNorm(1.0, double.PositiveInfinity);
        var (opt, rule, _, _) = C1Setup(clip);
        opt.Step();
        Close(clip.LastTotalNorm, 12);
        Close(rule.Last[0], [0.249999979167, 0.333333305556]);
        Close(rule.Last[1], [0.999999916667]);
    }

    [Test]
    public void GeneralPNorm()
    {
        var clip = new ClipGradNorm(1.0, 3.0);
        var (opt, rule, _, _) = C1Setup(clip);
        opt.Step();
        double total = Math.Pow(27 + 64 + 1728, 1.0 / 3);
        Close(clip.LastTotalNorm, total, 1e-12);
        Close(rule.Last[1], [12 / (total + 1e-6)], 1e-12);
    }

    [Test]
    public void C4PerLayer()
    {
        var clip = new ClipGradNormPerLayer(1.0);
        var (opt, rule, _, _) = C1Setup(clip);
        opt.Step();
        Close(rule.Last[0], [3 / (5 + 1e-6), 4 / (5 + 1e-6)]);
        Close(rule.Last[0], [0.59999988, 0.79999984], 1e-7);
        Close(rule.Last[1], [0.999999916667]);
        Close([.. clip.LastNorms], [5, 12]);
    }

    [Test]
    public void C5NonFiniteTotalPropagatesOrThrowsWithoutModifying()
    {
        Parameter a = Param(0, 0);
        var rule = new RecordingRule();
        Optimizer opt = Make([a], rule, new ClipGradNorm(1.0));
        opt.NonFinite = NonFinitePolicy.Propagate;
        SetGrad(a, double.NaN, 1);
        opt.Step();
        Assert.That(rule.Last[0], Is.All.NaN);

        Optimizer strict = Make([a], rule, new ClipGradNorm(1.0, errorIfNonfinite: true));
        strict.NonFinite = NonFinitePolicy.Propagate;
        SetGrad(a, double.NaN, 1);
        Assert.Throws<NonFiniteGradientException>(() => strict.Step());
        double[] g = a.Grad!.ToDoubleArray();
        Assert.That(g[0], Is.NaN);
        Assert.That(g[1], Is.EqualTo(1.0));
    }

    [Test]
    public void InvalidArgumentsThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ClipGradNorm(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ClipGradNorm(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ClipGradNorm(1, double.NegativeInfinity));
    }

    [Test]
    public void ValueClippingClampsAndKeepsNaN()
    {
        Parameter a = Param(0, 0, 0, 0);
        var rule = new RecordingRule();
        Optimizer opt = Make([a], rule, new ClipGradValue(0.5));
        opt.NonFinite = NonFinitePolicy.Propagate;
        SetGrad(a, 2, -3, 0.25, double.NaN);
        opt.Step();
        Assert.That(rule.Last[0][..3], Is.EqualTo(new[] { 0.5, -0.5, 0.25 }));
        Assert.That(rule.Last[0][3], Is.NaN);
    }
}
