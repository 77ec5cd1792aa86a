using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>GradientStabilizer, ALGORITHMS.md 7b (GS1-GS3).</summary>
[TestFixture]
public class GradientStabilizerTests
{
    [Test]
    public void GS1AndGS2()
    {
        Parameter p = Param(0, 0);
        var rule = new RecordingRule();
        var gs = new GradientStabilizer();
        Optimizer opt = Make([p], rule, gs);
        SetGrad(p, 3, 4);
        StepReport r = opt.Step()!;
        Close(r.Layers[0].Tau!.Value, 0.9999999999998, 1e-12);
        Close(rule.Last[0], [0.6, 0.8], 1e-12);

        SetGrad(p, 30, 40);
        r = opt.Step()!;
        StateDict state = opt.StateDict();
        string prefix = "transform.0.gradient_stabilizer.0.";
        Close(state.GetDouble(prefix + "mnorm"), 21.2);
        Close(state.GetDouble(prefix + "mnorm") / (1 - 0.36), 33.125);
        Close(state.GetDouble(prefix + "vnorm"), 2.524975);
        Close(r.Layers[0].Tau!.Value, 0.932038265003);
        Close(rule.Last[0], [0.559222959002, 0.745630612002]);
    }

    [Test]
    public void GS3SpikeIsBoundedNotErased()
    {
        Parameter p = Param(0);
        var rule = new RecordingRule();
        Optimizer opt = new([p], 1.0, 0.0, rule, [new GradientStabilizer()]);
        for (int t = 0; t < 3000; t++)
        {
            SetGrad(p, 1);
            opt.Step();
        }

        SetGrad(p, 1000);
        opt.Step();
        Close(rule.Last[0], [12.343655390955]);
        Assert.That(rule.Last[0][0], Is.LessThan((1 - 0.6) / Math.Sqrt(1 - 0.999)));
    }

    [Test]
    public void ZeroGradientIsSkippedAndCounted()
    {
        Parameter p = Param(0, 0);
        var rule = new RecordingRule();
        var gs = new GradientStabilizer();
        Optimizer opt = Make([p], rule, gs);
        SetGrad(p, 0, 0);
        opt.Step();
        Assert.That(gs.SkippedOf(0), Is.EqualTo(1));
        SetGrad(p, 3, 4);
        opt.Step();
        Close(rule.Last[0], [0.6, 0.8], 1e-12);
    }
}
