using FsCheck;
using FsCheck.Fluent;
using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>SPAMP-R, ALGORITHMS.md 1.4 (T1-T5) through the real optimizer step, plus its properties.</summary>
[TestFixture]
public class SpampTests
{
    private static (Optimizer Opt, RecordingRule Rule, Parameter P) One(SpampShaping spamp, int n = 3)
    {
        Parameter p = Param(new double[n]);
        var rule = new RecordingRule();
        return (Make([p], rule, spamp), rule, p);
    }

    [Test]
    public void T1FirstStepIsIdentityWithTauEqualToTheNorm()
    {
        var spamp = new SpampShaping();
        var (opt, rule, p) = One(spamp);
        SetGrad(p, 3, -4, 0);
        StepReport report = opt.Step()!;
        Close(rule.Last[0], [3, -4, 0]);
        Close(spamp.TauOf(p.FullName), 5);
        Close(report.Layers[0].Tau!.Value, 5);
        Assert.That(report.Layers[0].Alpha, Is.EqualTo(1.0));
        Assert.That(report.Layers[0].Clipped, Is.False);
        StateDict state = opt.StateDict();
        Close(state.GetDouble("transform.0.spamp.group.0.tau_raw"), 0.05);
    }

    [TestCase(SpampShapeMode.RestoreNorm)]
    [TestCase(SpampShapeMode.Rms)]
    [TestCase(SpampShapeMode.Raw)]
    public void T2SpikeIsShapedAndProjectedToTau(SpampShapeMode mode)
    {
        var spamp = new SpampShaping { ShapeMode = mode };
        var (opt, rule, p) = One(spamp);
        SetGrad(p, 3, -4, 0);
        opt.Step();
        SetGrad(p, 30, -40, 0);
        StepReport report = opt.Step()!;
        Close(spamp.TauOf(p.FullName), 27.613065326633);
        Close(report.Layers[0].Alpha!.Value, 0.865678391960);
        Assert.That(report.Layers[0].Clipped, Is.True);
        Close(rule.Last[0], [16.976801571053, -21.777731405039, 0]);
        Close(report.Layers[0].NormAfter, 27.613065326633);
        Close(opt.StateDict().GetDouble("transform.0.spamp.group.0.tau_raw"), 0.5495);
        Close(50 / spamp.TauOf(p.FullName), 1.810737033667);
    }

    [TestCase(SpampShapeMode.Raw, new[] { 0.105061112176, -0.085898361204, 0 })]
    [TestCase(SpampShapeMode.RestoreNorm, new[] { 0.038708828917, -0.031648484385, 0 })]
    [TestCase(SpampShapeMode.Rms, new[] { 0.036271440779, -0.029655666658, 0 })]
    public void T3ShapingOperatorAloneAtFixedAlpha(SpampShapeMode mode, double[] expected)
    {
        // Fixed alpha 0.7 through a pluggable h, and a margin so large that nothing is projected.
        var spamp = new SpampShaping { ShapeMode = mode, H = _ => 0.7, ClipMargin = 1e12 };
        var (opt, rule, p) = One(spamp);
        SetGrad(p, 0.04, -0.03, 0);
        opt.Step();
        Close(rule.Last[0], expected);
    }

    [Test]
    public void T3RestoreNormAndRmsAreScaleEquivariantRawIsNot()
    {
        double[] Run(SpampShapeMode mode, double c)
        {
            var (opt, rule, p) = One(new SpampShaping { ShapeMode = mode, H = _ => 0.7, ClipMargin = 1e12 });
            SetGrad(p, 0.04 * c, -0.03 * c, 0);
            opt.Step();
            return rule.Last[0];
        }

        Close(Run(SpampShapeMode.Raw, 1e4), [66.289080, -54.198202, 0], 1e-7);
        Close(Run(SpampShapeMode.RestoreNorm, 1e4), [387.088289, -316.484844, 0], 1e-8);
        Close(Run(SpampShapeMode.Rms, 1e4), [362.714408, -296.556667, 0], 1e-8);
        foreach (var mode in new[] { SpampShapeMode.RestoreNorm, SpampShapeMode.Rms })
        {
            double[] small = Run(mode, 1), big = Run(mode, 1e4);
            Close(big, [.. small.Select(x => x * 1e4)], 1e-12);
        }
    }

    [Test]
    public void T4UpdateClippingOnTheChainsOwnUpdates()
    {
        // No rule: the gradient buffer is the update (p += u), so ||Delta|| is the gradient norm.
        var spamp = new SpampShaping { UpdateClipping = true, ClipMargin = 1e12 };
        Parameter p = Param(0, 0);
        Optimizer opt = Make([p], null, spamp);
        double[] expected = [1, 1, 0.502516750278];
        double[][] updates = [[1, 0], [0, 1], [4, 0]];
        double[] before = p.Data.ToDoubleArray();
        for (int t = 0; t < 3; t++)
        {
            SetGrad(p, updates[t]);
            opt.Step();
            double[] after = p.Data.ToDoubleArray();
            double moved = Math.Sqrt(after.Zip(before, (a, b) => (a - b) * (a - b)).Sum());
            Close(moved / Math.Sqrt(updates[t].Sum(x => x * x)), expected[t], 1e-11);
            before = after;
        }
    }

    [Test]
    public void T4UpdateClippingCorrectsARuleThatDoesNotApplyFilters()
    {
        var spamp = new SpampShaping { UpdateClipping = true, ClipMargin = 1e12 };
        Parameter p = Param(1, 1);
        var rule = new RecordingRule { Sgd = true };
        Optimizer opt = Make([p], rule, spamp);
        double[] expected = [1, 1, 0.502516750278];
        double[][] grads = [[1, 0], [0, -1], [0, 4]];
        double[] before = p.Data.ToDoubleArray();
        for (int t = 0; t < 3; t++)
        {
            SetGrad(p, grads[t]);
            opt.Step();
            double[] after = p.Data.ToDoubleArray();
            Close([after[0] - before[0], after[1] - before[1]], [-expected[t] * grads[t][0], -expected[t] * grads[t][1]], 1e-11, 1e-15);
            before = after;
        }
    }

    [Test]
    public void T5NonFiniteNormLeavesTheStateUntouched()
    {
        var spamp = new SpampShaping();
        var (opt, rule, p) = One(spamp, 2);
        SetGrad(p, 3, 4);
        opt.Step();
        StateDict before = opt.StateDict();

        // Default policy: the optimizer skips the step before the chain.
        SetGrad(p, double.NaN, 1);
        StepReport report = opt.Step()!;
        Assert.That(report.Skipped, Is.True);
        StateDict after = opt.StateDict();
        Assert.That(after.GetLong("skipped_steps"), Is.EqualTo(1));
        after["skipped_steps"] = before["skipped_steps"];
        SameState(before, after);

        // Propagate: SPAMP itself leaves tau and k alone and lets the policy decide the output.
        opt.NonFinite = NonFinitePolicy.Propagate;
        SetGrad(p, double.NaN, 1);
        opt.Step();
        Assert.That(rule.Last[0][0], Is.NaN);
        Assert.That(rule.Last[0][1], Is.EqualTo(1.0));
        Close(spamp.TauOf(p.FullName), 5);
    }

    [Test]
    public void ZeroGradientPassesThroughAndAdvancesTheEma()
    {
        var spamp = new SpampShaping();
        var (opt, rule, p) = One(spamp, 2);
        SetGrad(p, 0, 0);
        opt.Step();
        Assert.That(rule.Last[0], Is.EqualTo(new double[] { 0, 0 }));
        Assert.That(spamp.TauOf(p.FullName), Is.EqualTo(0.0));
        SetGrad(p, 3, 4);
        StepReport r = opt.Step()!;
        double tau = 0.05 / (1 - (0.99 * 0.99));
        Close(spamp.TauOf(p.FullName), tau);
        Close(r.Layers[0].NormAfter, tau);
    }

    [Test]
    public void TauInitVariantsAndClippedNormFeed()
    {
        double TauAfter(SpampShaping s, params double[][] grads)
        {
            var (opt, _, p) = One(s, 2);
            foreach (double[] g in grads)
            {
                SetGrad(p, g);
                opt.Step();
            }

            return s.TauOf(p.FullName);
        }

        Close(TauAfter(new SpampShaping { TauInit = SpampTauInit.Zero }, [3, 4]), 0.05);
        Close(TauAfter(new SpampShaping { TauInit = SpampTauInit.FirstNorm }, [3, 4], [30, 40]), (0.99 * 5) + 0.5);
        // The spike enters the EMA as min(50, 1.0 * 5) = 5, so tau stays 5.
        Close(TauAfter(new SpampShaping { TauUsesClippedNorm = true }, [3, 4], [30, 40]), 5);
        Close(TauAfter(SpampShaping.Preset(SpampAblation.FixedTau, 2.0), [3, 4]), 2);
        Close(TauAfter(SpampShaping.Preset(SpampAblation.NoEma), [3, 4], [30, 40]), 5);
    }

    [Test]
    public void AblationPresetsBehaveAsNamed()
    {
        // No power shaping: the spike of T2 is projected along its own direction.
        var plain = SpampShaping.Preset(SpampAblation.NoPowerShaping);
        var (opt, rule, p) = One(plain);
        SetGrad(p, 3, -4, 0);
        opt.Step();
        SetGrad(p, 30, -40, 0);
        opt.Step();
        Close(rule.Last[0], [30 * 27.613065326633 / 50, -40 * 27.613065326633 / 50, 0]);

        // Global: two tensors share one norm and one factor.
        var global = SpampShaping.Preset(SpampAblation.Global);
        Parameter a = Param(0, 0), b = Param(0);
        var rec = new RecordingRule();
        Optimizer g = Make([a, b], rec, global);
        SetGrad(a, 3, 0);
        SetGrad(b, 4);
        g.Step();
        Close(global.TauOf("*"), 5);
    }

    [Test]
    public void PerModuleGroupingSharesOneNormAlphaAndFactor()
    {
        var spamp = new SpampShaping();
        var w = new Parameter(Tensor.From(new double[2], 2), "weight", "fc");
        var bias = new Parameter(Tensor.From(new double[1], 1), "bias", "fc");
        var rule = new RecordingRule();
        Optimizer opt = Make([w, bias], rule, spamp);
        opt.Grouping = LayerGrouping.PerModule;
        SetGrad(w, 3, 0);
        SetGrad(bias, -4);
        StepReport r1 = opt.Step()!;
        Assert.That(r1.Layers, Has.Count.EqualTo(1));
        Close(spamp.TauOf("fc"), 5);
        SetGrad(w, 30, 0);
        SetGrad(bias, -40);
        opt.Step();
        // The concatenation [30, 0, -40] is shaped exactly as the T2 tensor [30, -40, 0].
        Close([.. rule.Last[0], .. rule.Last[1]], [16.976801571053, 0, -21.777731405039]);
    }

    private static Gen<(double[][] Grads, double Margin, SpampShapeMode Mode)> Sequences() =>
        from steps in Gen.Choose(1, 6)
        from n in Gen.Choose(1, 8)
        from values in Gen.Choose(-1000, 1000).Select(v => v / 100.0).ArrayOf(n).ArrayOf(steps)
        from scales in Gen.Choose(-3, 3).ArrayOf(steps)
        from margin in Gen.Elements<double>(0.5, 1.0, 1.5, 2.0)
        from mode in Gen.Elements<SpampShapeMode>(SpampShapeMode.RestoreNorm, SpampShapeMode.Rms, SpampShapeMode.Raw)
        select (values.Select((g, t) => g.Select(x => x * Math.Pow(10, scales[t])).ToArray()).ToArray(), margin, mode);

    [Test]
    public void PropertyOutputNormNeverExceedsMarginTimesTau()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), Prop.ForAll(Sequences().ToArbitrary(), c =>
        {
            var spamp = new SpampShaping { ClipMargin = c.Margin, ShapeMode = c.Mode };
            var (opt, _, p) = One(spamp, c.Grads[0].Length);
            foreach (double[] g in c.Grads)
            {
                SetGrad(p, g);
                StepReport r = opt.Step()!;
                double tau = spamp.TauOf(p.FullName);
                if (r.Layers[0].NormAfter > (c.Margin * tau * (1 + 1e-12)) + 1e-300)
                {
                    return false;
                }
            }

            return true;
        }));
    }

    [Test]
    public void PropertyScaleEquivariantInRestoreNormAndRms()
    {
        var gen = from s in Sequences()
                  from c in Gen.Elements<double>(1e-3, 0.5, 3.0, 1e4)
                  from mode in Gen.Elements<SpampShapeMode>(SpampShapeMode.RestoreNorm, SpampShapeMode.Rms)
                  select (s.Grads, s.Margin, Mode: mode, C: c);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var (o1, r1, p1) = One(new SpampShaping { ClipMargin = c.Margin, ShapeMode = c.Mode }, c.Grads[0].Length);
            var (o2, r2, p2) = One(new SpampShaping { ClipMargin = c.Margin, ShapeMode = c.Mode }, c.Grads[0].Length);
            foreach (double[] g in c.Grads)
            {
                SetGrad(p1, g);
                SetGrad(p2, [.. g.Select(x => x * c.C)]);
                o1.Step();
                o2.Step();
                double[] a = r1.Last[0], b = r2.Last[0];
                double scale = a.Max(Math.Abs) * c.C;
                for (int i = 0; i < a.Length; i++)
                {
                    if (Math.Abs((a[i] * c.C) - b[i]) > 1e-12 * scale)
                    {
                        return false;
                    }
                }
            }

            return true;
        }));
    }
}
