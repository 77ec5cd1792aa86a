using Spamp.Examples;

namespace Spamp.Tests.Examples;

[TestFixture]
public class MethodComparisonTests
{
    private static TrainingResult Run(double metric, int steps) => new()
    {
        Steps = steps,
        Losses = [.. Enumerable.Range(0, steps).Select(i => 2.0 / (i + 1))],
        Evaluations = [new Evaluation(steps, metric, 0.5)],
        FinalTrainLoss = 0.25,
        MeanUpdateMagnitude = 1e-4,
        MaxUpdateMagnitude = 2e-3,
        WallTime = TimeSpan.FromSeconds(12),
        SamplesPerSecond = 640,
    };

    [Test]
    public void TheTableHasTheExamplesColumnsThenTheSharedOnesAligned()
    {
        var comparison = new MethodComparison();
        comparison.Add("spamp", Run(0.875, 40));
        comparison.Add("warmup-clip", Run(0.5, 40));
        using var writer = new StringWriter();
        comparison.WriteTable(writer, new ResultColumn("val acc", r => FormattableString.Invariant($"{r.Final.Metric * 100:F1}%")));
        string[] lines = writer.ToString().Split(Environment.NewLine);
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.Match(@"^method\s+val acc\s+train loss\s+mean lr\*\|u\|\s+max lr\*\|u\|\s+samples/s\s+wall$"));
            Assert.That(lines[2], Does.StartWith("spamp ").And.Contain("87.5%").And.Contain("0.2500").And.EndWith("12s"));
            Assert.That(lines[3], Does.StartWith("warmup-clip ").And.Contain("50.0%"));
            Assert.That(lines[2], Has.Length.EqualTo(lines[0].Length), "rows line up with the header");
            Assert.That(lines[3], Has.Length.EqualTo(lines[0].Length));
        });
    }

    [Test]
    public void TheLossPlotIsAnSvgWithOneSeriesPerMethod()
    {
        var comparison = new MethodComparison();
        comparison.Add("spamp", Run(0.9, 60));
        comparison.Add("clip", Run(0.8, 60));
        string path = Path.Combine(ExampleTestSupport.TempDirectory(), "loss.svg");
        comparison.SaveLossPlot(path, "test losses");
        string svg = File.ReadAllText(path);
        Assert.That(svg, Does.StartWith("<svg").Or.StartWith("<?xml"));
        Assert.That(svg, Does.Contain("spamp").And.Contain("clip").And.Contain("test losses"));
    }
}
