using Spamp.Examples.Reproduction;

namespace Spamp.Tests.Examples;

[TestFixture]
public class ReproductionStatisticsTests
{
    [Test]
    public void MeanAndSampleStdMatchHandComputedValues()
    {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, so the sample std is sqrt(32/7).
        double[] values = [2, 4, 4, 4, 5, 5, 7, 9];
        Assert.Multiple(() =>
        {
            Assert.That(Statistics.Mean(values), Is.EqualTo(5));
            Assert.That(Statistics.SampleStd(values), Is.EqualTo(Math.Sqrt(32.0 / 7)).Within(1e-12));
            Assert.That(Statistics.PopulationVariance(values), Is.EqualTo(4).Within(1e-12), "32/8");
            Assert.That(Statistics.Max(values), Is.EqualTo(9));
            Assert.That(Statistics.Summarize(values), Is.EqualTo(new MeanStd(5, Math.Sqrt(32.0 / 7), 8)));
        });
    }

    [Test]
    public void EdgeCasesAreDefinedNotThrown()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Statistics.Mean([]), Is.NaN);
            Assert.That(Statistics.SampleStd([]), Is.NaN);
            Assert.That(Statistics.SampleStd([3.5]), Is.Zero, "one seed has no spread");
            Assert.That(Statistics.PopulationVariance([3.5]), Is.Zero);
            Assert.That(Statistics.Max([1, double.NaN]), Is.NaN, "a NaN is not silently skipped");
        });
    }

    [TestCase(0.0, 1.0)]
    [TestCase(0.25, 1.75)]
    [TestCase(0.5, 2.5)]
    [TestCase(0.75, 3.25)]
    [TestCase(1.0, 4.0)]
    public void QuantilesInterpolateBetweenRanks(double q, double expected) =>
        // numpy.quantile([1, 2, 3, 4], q) with the default linear method.
        Assert.That(Statistics.Quantile([1.0, 2, 3, 4], q), Is.EqualTo(expected).Within(1e-12));

    [Test]
    public void MeanStdFormatsForTables()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new MeanStd(0.12345, 0.0061, 3).ToString("F3"), Is.EqualTo("0.123 ± 0.006"));
            Assert.That(new MeanStd(2, 0, 1).ToString("F1"), Is.EqualTo("2.0"), "one value: no ± 0");
            Assert.That(new MeanStd(double.NaN, double.NaN, 0).ToString("F1"), Is.EqualTo("n/a"));
        });
    }

    [Test]
    public void InterLayerStatisticsAreMeanAndPopulationVarianceOverLayers()
    {
        // Norms 1, 2, 6: mean 3, deviations -2, -1, 3, variance (4 + 1 + 9)/3.
        InterLayerStatistics s = InterLayerStatistics.Of([1.0, 2, 6]);
        InterLayerStatistics averaged = InterLayerStatistics.Average([[1.0, 2, 6], [1.0, 1, 1]]);
        Assert.Multiple(() =>
        {
            Assert.That(s.Mean, Is.EqualTo(3));
            Assert.That(s.Variance, Is.EqualTo(14.0 / 3).Within(1e-12));
            Assert.That(averaged.Mean, Is.EqualTo(2), "(3 + 1)/2");
            Assert.That(averaged.Variance, Is.EqualTo(7.0 / 3).Within(1e-12), "(14/3 + 0)/2");
            Assert.That(InterLayerStatistics.Of([1.0, double.NaN, 3]).Mean, Is.EqualTo(2), "a non-finite norm is left out");
        });
    }

    [Test]
    public void IntervalsSplitEvenlyAndSummariseEachPart()
    {
        // Seven values in three intervals: 3, 2, 2 values (the first takes the remainder).
        double[] series = [1, 2, 3, 10, 10, 0, 4];
        IntervalSummary[] parts = IntervalSummary.Split(series, 3);
        Assert.Multiple(() =>
        {
            Assert.That(parts.Select(p => (p.FirstStep, p.LastStep)), Is.EqualTo(new[] { (1L, 3L), (4L, 5L), (6L, 7L) }));
            Assert.That(parts.Select(p => p.Mean), Is.EqualTo(new[] { 2.0, 10, 2 }));
            Assert.That(parts[0].Std, Is.EqualTo(Math.Sqrt(2.0 / 3)).Within(1e-12), "population std of 1, 2, 3");
            Assert.That(parts[1].Std, Is.Zero);
            Assert.That(parts[2].Std, Is.EqualTo(2).Within(1e-12));
            Assert.That(parts.Select(p => p.Max), Is.EqualTo(new[] { 3.0, 10, 4 }));
        });
        Assert.Throws<ArgumentException>(() => IntervalSummary.Split([1.0, 2], 3));
    }

    [Test]
    public void BoxSummaryHasTukeyWhiskersAndOutliers()
    {
        // 1..8 and 40: quartiles 3 and 7 (positions 2 and 6), IQR 4, whiskers within [-3, 13], so 40 is an outlier.
        BoxSummary box = BoxSummary.Of([40.0, 1, 2, 3, 4, 5, 6, 7, 8, double.NaN])!;
        Assert.Multiple(() =>
        {
            Assert.That((box.Q1, box.Median, box.Q3), Is.EqualTo((3.0, 5.0, 7.0)));
            Assert.That((box.WhiskerLow, box.WhiskerHigh), Is.EqualTo((1.0, 8.0)));
            Assert.That(box.Outliers, Is.EqualTo(new[] { 40.0 }));
            Assert.That(BoxSummary.Of([double.NaN]), Is.Null);
        });
    }
}
