using Spamp.Examples.Reproduction;

namespace Spamp.Tests.Examples;

[TestFixture]
public class VerdictTests
{
    [Test]
    public void WithinTheLargerStdIsATie()
    {
        var spamp = new MeanStd(0.90, 0.01, 3);
        Assert.Multiple(() =>
        {
            Assert.That(Verdict.Compare(spamp, new MeanStd(0.88, 0.03, 3), higherIsBetter: true), Is.EqualTo(Outcome.Tied), "0.02 apart, margin 0.03");
            Assert.That(Verdict.Compare(spamp, new MeanStd(0.88, 0.005, 3), higherIsBetter: true), Is.EqualTo(Outcome.Won), "0.02 apart, margin 0.01");
            Assert.That(Verdict.Compare(spamp, new MeanStd(0.92, 0.005, 3), higherIsBetter: true), Is.EqualTo(Outcome.Lost));
            Assert.That(Verdict.Compare(new MeanStd(0.5, 0.25, 3), new MeanStd(0.75, 0.0, 3), higherIsBetter: true), Is.EqualTo(Outcome.Tied), "exactly at the margin ties");
        });
    }

    [Test]
    public void LowerIsBetterFlipsTheDirection()
    {
        var spamp = new MeanStd(30.4, 0.5, 3);
        Assert.Multiple(() =>
        {
            Assert.That(Verdict.Compare(spamp, new MeanStd(35.5, 0.4, 3), higherIsBetter: false), Is.EqualTo(Outcome.Won), "lower perplexity");
            Assert.That(Verdict.Compare(spamp, new MeanStd(28.0, 0.4, 3), higherIsBetter: false), Is.EqualTo(Outcome.Lost));
        });
    }

    [Test]
    public void OneSeedTiesOnlyOnEqualMeansAndAMissingResultLoses()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Verdict.Compare(new MeanStd(0.5, 0, 1), new MeanStd(0.5, 0, 1), true), Is.EqualTo(Outcome.Tied));
            Assert.That(Verdict.Compare(new MeanStd(0.51, 0, 1), new MeanStd(0.5, 0, 1), true), Is.EqualTo(Outcome.Won));
            Assert.That(Verdict.Compare(new MeanStd(double.NaN, double.NaN, 3), new MeanStd(0.5, 0.1, 3), true), Is.EqualTo(Outcome.Lost), "a diverged SPAMP loses");
            Assert.That(Verdict.Compare(new MeanStd(0.5, 0.1, 3), new MeanStd(double.NaN, double.NaN, 3), true), Is.EqualTo(Outcome.Won));
            Assert.That(Verdict.Word(Outcome.Tied), Is.EqualTo("tied"));
        });
    }
}
