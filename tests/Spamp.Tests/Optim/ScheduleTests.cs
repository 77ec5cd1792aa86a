using Spamp.Optim;

namespace Spamp.Tests.Optim;

/// <summary>ALGORITHMS.md 3.4, every value, plus the other schedules and the stepping contract.</summary>
[TestFixture]
public class ScheduleTests
{
    private static void AssertFactors(LearningRateSchedule schedule, double[] expected, double scale = 1, double rel = 1e-9, double abs = 1e-12)
    {
        for (int s = 0; s < expected.Length; s++)
        {
            Assert.That(schedule.Factor(s) * scale, Is.EqualTo(expected[s]).Within(Math.Max(abs, rel * Math.Abs(expected[s]))), $"s = {s}");
        }
    }

    [Test]
    public void HuggingFaceCosineUnclamped()
    {
        AssertFactors(new CosineWithWarmup(4, 10, holdAtEnd: false),
            [0, 0.25, 0.5, 0.75, 1, 0.933012701892, 0.75, 0.5, 0.25, 0.066987298108, 0, 0.066987298108, 0.25]);
    }

    [Test]
    public void HuggingFaceCosineHoldsAtEnd()
    {
        var schedule = new CosineWithWarmup(4, 10);
        Assert.That(schedule.Factor(11), Is.EqualTo(0).Within(1e-15));
        Assert.That(schedule.Factor(12), Is.EqualTo(0).Within(1e-15));
        Assert.That(schedule.Factor(5), Is.EqualTo(0.933012701892).Within(1e-11));
    }

    [Test]
    public void HuggingFaceCosineMinLr()
    {
        var schedule = new CosineWithWarmup(4, 10, minLrRatio: 0.1);
        Assert.That(schedule.Factor(7), Is.EqualTo((0.5 * 0.9) + 0.1).Within(1e-12));
        Assert.That(schedule.Factor(20), Is.EqualTo(0.1).Within(1e-12));
    }

    [Test]
    public void CosineAnnealingIsPeriodic()
    {
        AssertFactors(CosineAnnealing.FromEtaMin(6, 1e-3, 1e-4),
            [1e-3, 9.397114317030e-4, 7.75e-4, 5.5e-4, 3.25e-4, 1.602885682970e-4, 1e-4, 1.602885682970e-4, 3.25e-4], scale: 1e-3);
        Assert.That(CosineAnnealing.FromEtaMin(6, 1e-3, 1e-4).Factor(12) * 1e-3, Is.EqualTo(1e-3).Within(1e-15));
    }

    [Test]
    public void CosineAnnealingMatchesPyTorchsRecursion()
    {
        // lr_s = (1 + cos(pi s/T)) / (1 + cos(pi (s-1)/T)) * (lr_{s-1} - eta_min) + eta_min, with the special branch.
        const double baseLr = 1e-3, etaMin = 1e-4;
        const int tMax = 6;
        var schedule = CosineAnnealing.FromEtaMin(tMax, baseLr, etaMin);
        double lr = baseLr;
        for (int s = 1; s <= 20; s++)
        {
            lr = (s - 1 - tMax) % (2 * tMax) == 0
                ? lr + ((baseLr - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2)
                : ((1 + Math.Cos(Math.PI * s / tMax)) / (1 + Math.Cos(Math.PI * (s - 1) / tMax)) * (lr - etaMin)) + etaMin;
            Assert.That(schedule.Factor(s) * baseLr, Is.EqualTo(lr).Within(1e-15), $"s = {s}");
        }
    }

    [Test]
    public void LinearLR() => AssertFactors(new LinearLR(0.25, 1.0, 4), [0.25, 0.4375, 0.625, 0.8125, 1, 1]);

    [Test]
    public void LinearLRDefaults() => AssertFactors(new LinearLR(), [1.0 / 3, 1.0 / 3 + (2.0 / 15), 1.0 / 3 + (4.0 / 15), 1.0 / 3 + (6.0 / 15), 1.0 / 3 + (8.0 / 15), 1, 1]);

    [Test]
    public void HuggingFaceLinear() =>
        AssertFactors(new LinearDecayWithWarmup(4, 10), [0, .25, .5, .75, 1, 5.0 / 6, 4.0 / 6, .5, 2.0 / 6, 1.0 / 6, 0, 0]);

    [Test]
    public void HuggingFaceLinearRoundedValuesOfTheSpec() =>
        AssertFactors(new LinearDecayWithWarmup(4, 10), [0, .25, .5, .75, 1, .833333, .666667, .5, .333333, .166667, 0, 0], rel: 0, abs: 5e-7);

    [Test]
    public void LinearWarmupStyles()
    {
        AssertFactors(new LinearWarmup(4), [0, 0.25, 0.5, 0.75, 1, 1]);
        AssertFactors(new LinearWarmup(4, WarmupStyle.PlusOne), [0.25, 0.5, 0.75, 1, 1, 1]);
        AssertFactors(new LinearWarmup(0), [1, 1]);
    }

    [Test]
    public void StepLRAndConstant()
    {
        AssertFactors(new StepLR(3, 0.5), [1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
        AssertFactors(new ConstantSchedule(0.3), [0.3, 0.3]);
    }

    [Test]
    public void JoinRestartsEachScheduleAtItsBoundary()
    {
        var join = new JoinSchedule([new LinearWarmup(2, WarmupStyle.PlusOne), new CosineAnnealing(4), new ConstantSchedule(0.01)], [2, 6]);
        AssertFactors(join, [0.5, 1, 1, (1 + Math.Cos(Math.PI / 4)) / 2, 0.5, (1 + Math.Cos(3 * Math.PI / 4)) / 2, 0.01, 0.01]);
        Assert.That(() => new JoinSchedule([new ConstantSchedule()], [3]), Throws.ArgumentException.With.Message.Contains("expected 0 boundaries"));
        Assert.That(() => new JoinSchedule([new ConstantSchedule(), new ConstantSchedule(), new ConstantSchedule()], [3, 3]), Throws.ArgumentException.With.Message.Contains("strictly increasing"));
    }

    [Test]
    public void OptimizerStepTUsesFactorOfTMinusOne()
    {
        using Parameter p = OptimTestSupport.Param([0.0]);
        var opt = new Sgd([p], lr: 1.0) { Schedule = new LinearWarmup(4) };
        double[] expectedMoves = [0, 0.25, 0.5, 0.75, 1, 1];
        foreach (double move in expectedMoves)
        {
            double before = OptimTestSupport.Values(p)[0];
            OptimTestSupport.SetGrad(p, -1.0);
            opt.Step();
            Assert.That(OptimTestSupport.Values(p)[0] - before, Is.EqualTo(move).Within(1e-15));
        }
    }
}
