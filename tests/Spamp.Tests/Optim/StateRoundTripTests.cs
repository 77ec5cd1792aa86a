using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>Save after a few steps, load into a fresh optimizer, continue: both runs must agree bit for bit.</summary>
[TestFixture]
public class StateRoundTripTests
{
    private static IEnumerable<TestCaseData> Setups()
    {
        yield return Case("spamp", () => ([new SpampShaping { UpdateClipping = true }], null));
        yield return Case("spamp global with clipped-norm feed", () => ([new SpampShaping { Global = true, TauUsesClippedNorm = true }], null));
        yield return Case("zclip mid-warmup", () => ([new ZClip { WarmupSteps = 5 }], null));
        yield return Case("zclip after warmup", () => ([new ZClip { WarmupSteps = 2 }], null));
        yield return Case("adagc", () => ([new AdaGC { StartClipSteps = 2 }], null));
        yield return Case("adagc global", () => ([new AdaGC { StartClipSteps = 2, Global = true }], null));
        yield return Case("gradient stabilizer", () => ([new GradientStabilizer()], null));
        yield return Case("entry shrink ema", () => ([new EntryShrink { Scale = ShrinkScale.EmaMad, MinCount = 1 }], null));
        yield return Case("spam rule", () => ([], new SpamRule { ResetInterval = 4, WarmupSteps = 2, ClipOffWindow = 1 }));
        yield return Case("stable spam intended", () => ([], new StableSpamRule { ResetInterval = 3, TotalT = 5 }));
        yield return Case("stable spam reference", () => ([], new StableSpamRule { ResetInterval = 3, Semantics = StableSpamResetSemantics.ReferenceCode, AmsGrad = true }));
        yield return Case("apply if finite", () => ([new ApplyIfFinite(new SpampShaping(), new GradientStabilizer())], null));
        yield return Case("masked", () => ([new Masked(new AdaGC { StartClipSteps = 1 }, s => s.Index == 0)], null));
    }

    private static TestCaseData Case(string name, Func<(IGradientTransform[] Chain, IUpdateRule? Rule)> make) =>
        new TestCaseData(make).SetName("RoundTrip " + name);

    [TestCaseSource(nameof(Setups))]
    public void ContinuesIdentically(Func<(IGradientTransform[] Chain, IUpdateRule? Rule)> make)
    {
        var random = new System.Random(11);
        double[][][] grads = [.. Enumerable.Range(0, 7).Select(_ => new[]
        {
            Enumerable.Range(0, 3).Select(_ => (random.NextDouble() - 0.5) * Math.Exp(3 * random.NextDouble())).ToArray(),
            Enumerable.Range(0, 2).Select(_ => (random.NextDouble() - 0.5) * 0.1).ToArray(),
        })];

        (Optimizer Opt, Parameter A, Parameter B, RecordingRule? Rec) Build()
        {
            var (chain, rule) = make();
            var rec = rule is null ? new RecordingRule { Sgd = true } : null;
            Parameter a = Param(1, 2, 3), b = Param(-1, 0.5);
            return (new Optimizer([a, b], 1e-2, 0.01, rule ?? rec, chain), a, b, rec);
        }

        var first = Build();
        for (int t = 0; t < 4; t++)
        {
            SetGrad(first.A, grads[t][0]);
            SetGrad(first.B, grads[t][1]);
            first.Opt.Step();
        }

        StateDict saved = first.Opt.StateDict();
        var second = Build();
        second.Opt.LoadStateDict(saved);
        second.A.SetData(first.A.Data);
        second.B.SetData(first.B.Data);
        SameState(saved, second.Opt.StateDict());
        for (int t = 4; t < grads.Length; t++)
        {
            foreach (var run in new[] { first, second })
            {
                SetGrad(run.A, grads[t][0]);
                SetGrad(run.B, grads[t][1]);
                run.Opt.Step();
            }

            Assert.That(second.A.Data.ToDoubleArray(), Is.EqualTo(first.A.Data.ToDoubleArray()), $"step {t + 1}");
            Assert.That(second.B.Data.ToDoubleArray(), Is.EqualTo(first.B.Data.ToDoubleArray()), $"step {t + 1}");
        }

        SameState(first.Opt.StateDict(), second.Opt.StateDict());
    }
}
