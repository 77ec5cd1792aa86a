using FsCheck;
using FsCheck.Fluent;
using Spamp.Backends;
using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>The wrappers: ApplyIfFinite and Masked.</summary>
[TestFixture]
public class ApplyIfFiniteTests
{
    private static IGradientTransform[] StatefulChain() =>
    [
        new SpampShaping { UpdateClipping = true },
        new ZClip { WarmupSteps = 2 },
        new AdaGC { StartClipSteps = 1 },
        new GradientStabilizer(),
        new EntryShrink { Scale = ShrinkScale.EmaMad, MinCount = 1 },
    ];

    [Test]
    public void PropertyNonFiniteGradientLeavesEveryStateUnchanged()
    {
        var gen = from warm in Gen.Choose(0, 4)
                  from seed in Gen.Choose(0, 1_000_000)
                  from bad in Gen.Elements<double>(double.NaN, double.PositiveInfinity, double.NegativeInfinity)
                  from position in Gen.Choose(0, 4)
                  select (warm, seed, bad, position);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var random = new System.Random(c.seed);
            Parameter a = Param(1, 2, 3), b = Param(4, 5);
            var guard = new ApplyIfFinite(StatefulChain());
            var opt = new Optimizer([a, b], 1e-2, 0.1, new StableSpamRule(), [guard]) { NonFinite = NonFinitePolicy.Propagate };
            for (int t = 0; t < c.warm; t++)
            {
                SetGrad(a, random.NextDouble() - 0.5, random.NextDouble(), -random.NextDouble());
                SetGrad(b, random.NextDouble() * 3, random.NextDouble() - 0.5);
                opt.Step();
            }

            StateDict before = opt.StateDict();
            double[] pa = a.Data.ToDoubleArray(), pb = b.Data.ToDoubleArray();
            double[] ga = [random.NextDouble(), 1, 2], gb = [3, 4];
            if (c.position < 3)
            {
                ga[c.position] = c.bad;
            }
            else
            {
                gb[c.position - 3] = c.bad;
            }

            SetGrad(a, ga);
            SetGrad(b, gb);
            opt.Step();
            StateDict after = opt.StateDict();
            after["transform.0.apply_if_finite.skipped"] = before["transform.0.apply_if_finite.skipped"];
            after["transform.0.apply_if_finite.consecutive"] = before["transform.0.apply_if_finite.consecutive"];
            SameState(before, after);
            Assert.That(guard.SkippedSteps, Is.EqualTo(1));
            Assert.That(a.Data.ToDoubleArray(), Is.EqualTo(pa));
            Assert.That(b.Data.ToDoubleArray(), Is.EqualTo(pb));
            return true;
        }));
    }

    [Test]
    public void FiniteStepsRunTheInnerTransforms()
    {
        Parameter p = Param(0, 0);
        var rule = new RecordingRule();
        var guard = new ApplyIfFinite(new ClipGradNorm(1.0));
        Optimizer opt = Make([p], rule, guard);
        SetGrad(p, 3, 4);
        opt.Step();
        Close(rule.Last[0], [3 / (5 + 1e-6), 4 / (5 + 1e-6)]);
        Assert.That(guard.SkippedSteps, Is.Zero);
    }

    [Test]
    public void MaskedAppliesToTheSelectedParametersOnly()
    {
        var w = new Parameter(Tensor.From(new double[2, 1]), "weight", "fc");
        var bias = new Parameter(Tensor.From(new double[1], 1), "bias", "fc");
        var rule = new RecordingRule();
        var clip = new ClipGradNorm(1.0);
        Optimizer opt = Make([w, bias], rule, new Masked(clip, s => s.Parameter.Rank >= 2));
        w.Grad = TensorScope.Detach(Tensor.From(new double[,] { { 3 }, { 4 } }));
        SetGrad(bias, 12);
        StepReport r = opt.Step()!;
        Close(clip.LastTotalNorm, 5);
        Close(rule.Last[0], [3 / (5 + 1e-6), 4 / (5 + 1e-6)]);
        Assert.That(rule.Last[1], Is.EqualTo(new double[] { 12 }));
        Assert.That(r.Layers[0].Clipped, Is.True);
        Assert.That(r.Layers[1].Clipped, Is.False);
    }

    [Test]
    public void MaskedUpdateFilterOnlyTouchesItsParameters()
    {
        Parameter a = Param(0), b = Param(0);
        var spamp = new SpampShaping { UpdateClipping = true, ClipMargin = 1e12 };
        Optimizer opt = Make([a, b], null, new Masked(spamp, s => s.Index == 1));
        foreach (double g in new[] { 1.0, 1.0, 4.0 })
        {
            SetGrad(a, g);
            SetGrad(b, g);
            opt.Step();
        }

        Assert.That(a.Data.ToDoubleArray()[0], Is.EqualTo(6.0));
        Close(b.Data.ToDoubleArray()[0], 2 + (4 * 0.502516750278), 1e-11);
    }

    [Test]
    public void KernelsAgreeInFloat32()
    {
        // The float32 paths of the shaping kernels against float64 on the same values.
        var random = new System.Random(7);
        double[] values = [.. Enumerable.Range(0, 5000).Select(_ => (random.NextDouble() - 0.5) * Math.Exp(4 * random.NextDouble()))];
        using Tensor d = Tensor.From((double[])values.Clone(), values.Length);
        using Tensor f = Tensor.From(values.Select(x => (float)x).ToArray(), values.Length);
        OptimizerKernels k = OptimizerKernels.For(Device.Cpu);
        double sd = k.PowerShape(d.Storage, d.Numel, 0.3, 0.8), sf = k.PowerShape(f.Storage, f.Numel, 0.3, 0.8);
        Close(sf, sd, 1e-5);
        Close(f.ToDoubleArray(), d.ToDoubleArray(), 1e-5, 1e-6);
        double md = k.MedianAbsNonZero(d.Storage, d.Numel, 0, out int nd), mf = k.MedianAbsNonZero(f.Storage, f.Numel, 0, out int nf);
        Assert.That(nf, Is.EqualTo(nd));
        Close(mf, md, 1e-6);
        k.Shrink(d.Storage, d.Numel, ShrinkFunction.GaussGate, md, 2);
        k.Shrink(f.Storage, f.Numel, ShrinkFunction.GaussGate, md, 2);
        Close(f.ToDoubleArray(), d.ToDoubleArray(), 1e-4, 1e-6);
    }

    [Test]
    public void MedianMatchesSorting()
    {
        var random = new System.Random(3);
        foreach (int n in new[] { 1, 2, 3, 10, 11, 1000, 1001 })
        {
            double[] values = [.. Enumerable.Range(0, n).Select(i => i % 5 == 0 ? 0 : Math.Round((random.NextDouble() - 0.5) * 20))];
            double[] abs = [.. values.Where(v => v != 0).Select(Math.Abs).Order()];
            using Tensor t = Tensor.From(values, n);
            double m = OptimizerKernels.For(Device.Cpu).MedianAbsNonZero(t.Storage, n, 0, out int count);
            Assert.That(count, Is.EqualTo(abs.Length));
            double expected = abs.Length == 0 ? 0 : abs.Length % 2 == 1 ? abs[abs.Length / 2] : 0.5 * (abs[(abs.Length / 2) - 1] + abs[abs.Length / 2]);
            Assert.That(m, Is.EqualTo(expected), $"n = {n}");
        }
    }
}
