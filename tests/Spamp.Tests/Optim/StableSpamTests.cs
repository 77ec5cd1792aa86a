using Spamp.Optim;
using static Spamp.Tests.Optim.ShapingTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>Stable-SPAM, ALGORITHMS.md 7a (SS1), in both reset semantics.</summary>
[TestFixture]
public class StableSpamTests
{
    [TestCase(StableSpamResetSemantics.Intended)]
    [TestCase(StableSpamResetSemantics.ReferenceCode)]
    public void SS1TwoSteps(StableSpamResetSemantics semantics)
    {
        Parameter p = Param(1, 1);
        var rule = new StableSpamRule { Semantics = semantics };
        var opt = new Optimizer([p], 1e-3, 0, rule);
        ParameterState s = opt.States[0];

        SetGrad(p, 3, -4);
        opt.Step();
        Close(s.Scalar("stable_spam.m_max"), 0.004);
        Close(s.Scalar("stable_spam.m_norm"), 1.5);
        Close(s.Scalar("stable_spam.v_norm"), 2.5);
        Close(p.Grad!.ToDoubleArray(), [0.5999999988, -0.7999999984]);
        Close(p.Data.ToDoubleArray(), [0.999000000017, 1.000999999988]);

        SetGrad(p, 30, -40);
        opt.Step();
        Close(s.Scalar("stable_spam.m_max"), 0.043996);
        Close(s.Scalar("stable_spam.m_norm"), 9.303376688344);
        Close(s.Scalar("stable_spam.v_norm"), 77.936918621894);
        Close(p.Grad!.ToDoubleArray(), [0.540414340019, -0.720552453359]);
        Close(p.Data.ToDoubleArray(), [0.998004082479, 1.001995917529]);
    }

    [Test]
    public void ResetSemanticsDifferOnlyFromTheFirstReset()
    {
        double[] Run(StableSpamResetSemantics semantics, int steps)
        {
            Parameter p = Param(1, 1);
            var opt = new Optimizer([p], 1e-3, 0, new StableSpamRule { Semantics = semantics, ResetInterval = 3 });
            for (int t = 1; t <= steps; t++)
            {
                SetGrad(p, t, -2 * t);
                opt.Step();
            }

            return p.Data.ToDoubleArray();
        }

        Assert.That(Run(StableSpamResetSemantics.ReferenceCode, 2), Is.EqualTo(Run(StableSpamResetSemantics.Intended, 2)));
        Assert.That(Run(StableSpamResetSemantics.ReferenceCode, 4), Is.Not.EqualTo(Run(StableSpamResetSemantics.Intended, 4)));
    }

    [Test]
    public void CosineFactorIsClampedByDefault()
    {
        var rule = new StableSpamRule { TotalT = 9 };
        Close(rule.CosineFactor(10), 0.5);
        Close(rule.CosineFactor(15), 0.5);
        Assert.That(new StableSpamRule { TotalT = 9, ClampCosine = false }.CosineFactor(15), Is.GreaterThan(0.5));
        Assert.That(new StableSpamRule().CosineFactor(15), Is.EqualTo(1.0));
    }
}
