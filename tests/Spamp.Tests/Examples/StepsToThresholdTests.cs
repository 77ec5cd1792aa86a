using Spamp.Examples.Reproduction;

namespace Spamp.Tests.Examples;

[TestFixture]
public class StepsToThresholdTests
{
    private static readonly (long, double)[] Accuracy = [(100, 0.6), (200, 0.79), (300, 0.80), (400, 0.85)];

    [Test]
    public void FirstEvaluationAtOrPastTheThreshold()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StepsToThreshold.First(Accuracy, 0.80, higherIsBetter: true), Is.EqualTo(300), "reaching the threshold exactly counts");
            Assert.That(StepsToThreshold.First(Accuracy, 0.90, higherIsBetter: true), Is.Null);
            Assert.That(StepsToThreshold.First([(200, 9.0), (100, 12.0), (300, 7.5)], 9.0, higherIsBetter: false), Is.EqualTo(200),
                "perplexity: at or below, in step order whatever the input order");
        });
    }

    [Test]
    public void SummaryAveragesOnlyTheSeedsThatReachedIt()
    {
        var (steps, reached, seeds) = StepsToThreshold.Summarize([300, null, 500]);
        Assert.Multiple(() =>
        {
            Assert.That(steps.Mean, Is.EqualTo(400));
            Assert.That(steps.Std, Is.EqualTo(Math.Sqrt(20000)).Within(1e-9));
            Assert.That((reached, seeds), Is.EqualTo((2, 3)));
        });
    }

    [Test]
    public void MoreSeedsReachedWinsThenFewerSteps()
    {
        MeanStd fast = new(200, 10, 2), slow = new(400, 10, 2);
        Assert.Multiple(() =>
        {
            Assert.That(StepsToThreshold.Compare((slow, 3), (fast, 2)), Is.EqualTo(Outcome.Won), "reached on more seeds");
            Assert.That(StepsToThreshold.Compare((fast, 2), (slow, 2)), Is.EqualTo(Outcome.Won), "same count, fewer steps");
            Assert.That(StepsToThreshold.Compare((slow, 2), (fast, 2)), Is.EqualTo(Outcome.Lost));
            Assert.That(StepsToThreshold.Compare((new MeanStd(double.NaN, double.NaN, 0), 0), (new MeanStd(double.NaN, double.NaN, 0), 0)), Is.EqualTo(Outcome.Tied));
        });
    }
}
