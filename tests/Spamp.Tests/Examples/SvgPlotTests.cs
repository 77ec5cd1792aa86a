using System.Globalization;
using System.Xml.Linq;
using Spamp.Examples;

namespace Spamp.Tests.Examples;

[TestFixture]
public class SvgPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XDocument Parse(string svg)
    {
        XDocument doc = XDocument.Parse(svg);
        Assert.That(doc.Root!.Name, Is.EqualTo(Svg + "svg"));
        return doc;
    }

    private static List<XElement> OfClass(XDocument doc, string cls) =>
        [.. doc.Descendants().Where(e => (string?)e.Attribute("class") == cls)];

    private static string TextOf(XDocument doc, string cls) => OfClass(doc, cls).Single().Value;

    [Test]
    public void LineChartHasOnePathAndLegendEntryPerSeries()
    {
        Series[] series =
        [
            new("spamp", [1, 2, 3], [1.0, 0.5, 0.25]),
            new("clip", [1, 2, 3], [1.2, 0.7, 0.4]),
            new("none", [1, 2, 3], [1.5, 1.0, double.NaN]),
        ];
        XDocument doc = Parse(SvgPlot.LineChart(series, "Loss", "step", "loss"));
        Assert.Multiple(() =>
        {
            Assert.That(OfClass(doc, "series").Select(e => (string?)e.Attribute("data-name")), Is.EqualTo(new[] { "spamp", "clip", "none" }));
            Assert.That(OfClass(doc, "legend-label").Select(e => e.Value), Is.EqualTo(new[] { "spamp", "clip", "none" }));
            Assert.That(TextOf(doc, "x-label"), Is.EqualTo("step"));
            Assert.That(TextOf(doc, "y-label"), Is.EqualTo("loss"));
            Assert.That(TextOf(doc, "title"), Is.EqualTo("Loss"));
            Assert.That(OfClass(doc, "x-tick-label"), Is.Not.Empty);
            Assert.That(OfClass(doc, "y-tick-label"), Is.Not.Empty);
        });
    }

    [Test]
    public void SeriesBeyondThePaletteAreDashed()
    {
        Series[] series = [.. Enumerable.Range(0, 11).Select(k => new Series($"s{k}", [0, 1], [k, k + 1.0]))];
        XDocument doc = Parse(SvgPlot.LineChart(series, "t", "x", "y"));
        string?[] lineDashes = [.. OfClass(doc, "series").Select(e => (string?)e.Attribute("stroke-dasharray"))];
        string?[] swatchDashes = [.. OfClass(doc, "legend-swatch").Select(e => (string?)e.Attribute("stroke-dasharray"))];
        Assert.Multiple(() =>
        {
            Assert.That(lineDashes.Take(8), Has.All.Null, "the first eight lines are solid, one colour each");
            Assert.That(lineDashes.Skip(8), Has.All.Not.Null, "the next ones reuse the colours, dashed");
            Assert.That(swatchDashes, Is.EqualTo(lineDashes), "the legend shows the same style");
            Assert.That(OfClass(doc, "series").Select(e => (string?)e.Attribute("stroke")).Distinct().Count(), Is.EqualTo(8));
        });
    }

    [Test]
    public void TextIsEscaped()
    {
        const string title = "a < b && \"c\" > 'd'";
        string svg = SvgPlot.LineChart([new Series("<tag>&", [0, 1], [0, 1])], title, "x & y", "y<");
        XDocument doc = Parse(svg);
        Assert.Multiple(() =>
        {
            Assert.That(svg, Does.Not.Contain("<tag>"));
            Assert.That(TextOf(doc, "title"), Is.EqualTo(title));
            Assert.That(TextOf(doc, "legend-label"), Is.EqualTo("<tag>&"));
            Assert.That(TextOf(doc, "x-label"), Is.EqualTo("x & y"));
        });
    }

    [Test]
    public void LogScaleTicksArePowersOfTen()
    {
        XDocument doc = Parse(SvgPlot.LineChart([new Series("s", [0, 1, 2], [0.05, 3, 0])], "t", "x", "y", logY: true));
        double[] ticks = [.. OfClass(doc, "y-tick-label").Select(e => double.Parse(e.Value, CultureInfo.InvariantCulture))];
        Assert.That(ticks, Is.EqualTo(new[] { 0.01, 0.1, 1, 10 }), "the zero is left out on a log axis");
    }

    [Test]
    public void EmptyDataGiveAFrameWithANote()
    {
        Assert.Multiple(() =>
        {
            Assert.That(OfClass(Parse(SvgPlot.LineChart([], "t", "x", "y")), "no-data"), Has.Count.EqualTo(1));
            Assert.That(OfClass(Parse(SvgPlot.LineChart([new Series("s", [], [])], "t", "x", "y")), "no-data"), Has.Count.EqualTo(1));
            Assert.That(OfClass(Parse(SvgPlot.Histogram([double.NaN], 10, "t", "x")), "no-data"), Has.Count.EqualTo(1));
            Assert.That(OfClass(Parse(SvgPlot.BoxPlot([], "t", "y")), "no-data"), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void HistogramHasOneBarPerBinCountingEveryValue()
    {
        double[] values = [.. Enumerable.Range(0, 100).Select(i => i / 10.0)];
        XDocument doc = Parse(SvgPlot.Histogram(values, 10, "norms", "norm"));
        var bars = OfClass(doc, "bar");
        Assert.That(bars, Has.Count.EqualTo(10));
        double[] heights = [.. bars.Select(b => double.Parse((string)b.Attribute("height")!, CultureInfo.InvariantCulture))];
        Assert.That(heights, Has.All.GreaterThan(0));
        Assert.That(heights.Distinct().Count(), Is.EqualTo(1), "uniform data fill every bin equally");
    }

    [Test]
    public void BoxPlotHasOneBoxPerGroupAndShowsOutliers()
    {
        (string, IReadOnlyList<double>)[] groups =
        [
            ("spamp", [1, 2, 3, 4, 5]),
            ("clip", [1, 2, 3, 4, 100]),
        ];
        XDocument doc = Parse(SvgPlot.BoxPlot(groups, "update size", "lr*|u|"));
        Assert.Multiple(() =>
        {
            Assert.That(OfClass(doc, "box").Select(e => (string?)e.Attribute("data-group")), Is.EqualTo(new[] { "spamp", "clip" }));
            Assert.That(OfClass(doc, "group-label").Select(e => e.Value), Is.EqualTo(new[] { "spamp", "clip" }));
            Assert.That(OfClass(doc, "median"), Has.Count.EqualTo(2));
            Assert.That(OfClass(doc, "outlier"), Has.Count.EqualTo(1), "100 lies beyond 1.5 IQR");
        });
    }

    [Test]
    public void HistogramsDrawOneOutlinePerGroupOnSharedBins()
    {
        (string, IReadOnlyList<double>)[] groups =
        [
            ("spamp", [0.0, 0.1, 0.2, 0.9]),
            ("clip", [0.5, 0.5, 1.0]),
            ("none", [double.NaN, 2.0]),
        ];
        XDocument doc = Parse(SvgPlot.Histograms(groups, 5, "gradient norms", "log10 norm"));
        List<XElement> outlines = OfClass(doc, "histogram");
        Assert.Multiple(() =>
        {
            Assert.That(outlines.Select(e => (string?)e.Attribute("data-name")), Is.EqualTo(new[] { "spamp", "clip", "none" }));
            Assert.That(OfClass(doc, "legend-label").Select(e => e.Value), Is.EqualTo(new[] { "spamp", "clip", "none" }));

            // Start at zero, two corners per bin, back to zero: 1 + 2*5 + 1 points.
            Assert.That(outlines.Select(e => ((string)e.Attribute("d")!).Split(' ').Length), Has.All.EqualTo(12));
            Assert.That(TextOf(doc, "y-label"), Is.EqualTo("fraction"));
        });
        Assert.That(OfClass(Parse(SvgPlot.Histograms([("a", [double.NaN])], 5, "t", "x")), "no-data"), Has.Count.EqualTo(1));
    }

    [Test]
    public void BoxPlotWithManyGroupsSlantsTheLabels()
    {
        var groups = MethodFactory.Names.Select((name, i) => (name, (IReadOnlyList<double>)[i, i + 1.0, i + 2.0])).ToList();
        XDocument doc = Parse(SvgPlot.BoxPlot(groups, "per-layer norms", "log10 norm"));
        List<XElement> labels = OfClass(doc, "group-label");
        Assert.Multiple(() =>
        {
            Assert.That(OfClass(doc, "box"), Has.Count.EqualTo(11));
            Assert.That(OfClass(doc, "median"), Has.Count.EqualTo(11));
            Assert.That(OfClass(doc, "whisker"), Has.Count.EqualTo(22));
            Assert.That(labels.Select(e => e.Value), Is.EqualTo(MethodFactory.Names));
            Assert.That(labels.Select(e => (string?)e.Attribute("transform")), Has.All.Contains("rotate(-30)"));
        });
    }

    [Test]
    public void OutputIsDeterministic()
    {
        Series[] s = [new("a", [0, 0.5, 1], [3, 1, 2])];
        string first = SvgPlot.LineChart(s, "t", "x", "y");
        string second = SvgPlot.LineChart([new("a", [0, 0.5, 1], [3, 1, 2])], "t", "x", "y");
        Assert.That(second, Is.EqualTo(first));
    }

    [TestCase(0, 1, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    [TestCase(0, 100, new double[] { 0, 20, 40, 60, 80, 100 })]
    [TestCase(0.13, 0.92, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    [TestCase(-3, 7, new double[] { -4, -2, 0, 2, 4, 6, 8 })]
    public void NiceTicksCoverTheRangeAtRoundSteps(double min, double max, double[] expected) =>
        Assert.That(SvgPlot.NiceTicks(min, max), Is.EqualTo(expected));

    [Test]
    public void NiceTicksOfASingleValueStillSpanARange() =>
        Assert.That(SvgPlot.NiceTicks(2, 2), Is.EqualTo(new[] { 1.4, 1.6, 1.8, 2, 2.2, 2.4, 2.6 }).Within(1e-12));
}
