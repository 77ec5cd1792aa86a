using System.Globalization;
using System.Text;
using System.Xml;

namespace Spamp.Examples;

/// <summary>One line of a line chart: a name for the legend and its points.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="X">x values, in drawing order.</param>
/// <param name="Y">y values, one per x. Non-finite values (and values &lt;= 0 on a log axis) break the line.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// A small, dependency-free SVG writer for the experiments' figures: line charts, histograms and box plots.
/// Output is valid XML (written with <see cref="XmlWriter"/>, so text is escaped), uses invariant number
/// formatting and no time stamps or random ids, so the same data always give the same bytes. Empty data
/// give an empty frame with a "no data" note rather than an exception.
/// </summary>
public static class SvgPlot
{
    private const double Width = 640, Height = 400, Left = 70, Right = 160, Top = 40, Bottom = 55;

    // A colour-blind-friendly palette (Okabe-Ito); series beyond it reuse colours in order, dashed (Dash).
    private static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];

    // The line style of each round through the palette: solid, dashed, dotted, so up to 24 lines stay apart.
    private static readonly string?[] Dashes = [null, "6,3", "2,2"];

    /// <summary>A line chart of several series with a legend, nice axis ticks and optionally a log-scale y axis.</summary>
    public static string LineChart(IReadOnlyList<Series> series, string title, string xLabel, string yLabel, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        bool Usable(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && (!logY || y > 0);
        var xs = series.SelectMany(s => s.X.Zip(s.Y).Where(p => Usable(p.First, p.Second)).Select(p => p.First)).ToList();
        var ys = series.SelectMany(s => s.X.Zip(s.Y).Where(p => Usable(p.First, p.Second)).Select(p => p.Second)).ToList();
        return Document(title, xLabel, yLabel, xs.Count == 0, (w, frame) =>
        {
            var x = Axis.Linear(xs.Min(), xs.Max());
            var y = logY ? Axis.Log(ys.Min(), ys.Max()) : Axis.Linear(ys.Min(), ys.Max());
            frame.DrawAxes(w, x, y);
            for (int k = 0; k < series.Count; k++)
            {
                string colour = Palette[k % Palette.Length];
                var path = new StringBuilder();
                bool penDown = false;
                foreach (var (px, py) in series[k].X.Zip(series[k].Y))
                {
                    if (!Usable(px, py))
                    {
                        penDown = false;
                        continue;
                    }

                    path.Append(penDown ? " L" : (path.Length > 0 ? " M" : "M"))
                        .Append(Fmt(frame.X(x, px))).Append(',').Append(Fmt(frame.Y(y, py)));
                    penDown = true;
                }

                w.WriteStartElement("path");
                w.WriteAttributeString("class", "series");
                w.WriteAttributeString("data-name", series[k].Name);
                w.WriteAttributeString("d", path.ToString());
                w.WriteAttributeString("fill", "none");
                w.WriteAttributeString("stroke", colour);
                w.WriteAttributeString("stroke-width", "1.5");
                WriteDash(w, k);
                w.WriteEndElement();
            }

            frame.DrawLegend(w, [.. series.Select((s, k) => s.Name)]);
        });
    }

    /// <summary>A histogram of <paramref name="values"/> in <paramref name="bins"/> equal-width bins (non-finite values are left out).</summary>
    public static string Histogram(IReadOnlyList<double> values, int bins, string title, string xLabel, string yLabel = "count")
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        double[] finite = [.. values.Where(double.IsFinite)];
        return Document(title, xLabel, yLabel, finite.Length == 0, (w, frame) =>
        {
            double lo = finite.Min(), hi = finite.Max();
            double width = hi > lo ? (hi - lo) / bins : 1;
            int[] counts = new int[bins];
            foreach (double v in finite)
            {
                counts[Math.Min(bins - 1, (int)((v - lo) / width))]++;
            }

            var x = Axis.Linear(lo, lo + (width * bins));
            var y = Axis.Linear(0, counts.Max());
            frame.DrawAxes(w, x, y);
            for (int b = 0; b < bins; b++)
            {
                double x0 = frame.X(x, lo + (b * width)), x1 = frame.X(x, lo + ((b + 1) * width)), top = frame.Y(y, counts[b]);
                Rect(w, "bar", x0, top, x1 - x0, frame.Y(y, 0) - top, Palette[0]);
            }
        });
    }

    /// <summary>
    /// Several distributions on one chart: every group is counted in the same <paramref name="bins"/> equal-width
    /// bins over the range of all finite values and drawn as a step outline (not filled, so overlaps stay
    /// readable), with a legend. Counts are fractions of each group's values, so groups of different sizes compare.
    /// </summary>
    public static string Histograms(IReadOnlyList<(string Name, IReadOnlyList<double> Values)> groups, int bins, string title, string xLabel,
        string yLabel = "fraction")
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        double[][] finite = [.. groups.Select(g => g.Values.Where(double.IsFinite).ToArray())];
        double[] all = [.. finite.SelectMany(v => v)];
        return Document(title, xLabel, yLabel, all.Length == 0, (w, frame) =>
        {
            double lo = all.Min(), hi = all.Max();
            double width = hi > lo ? (hi - lo) / bins : 1;
            double[][] fractions = [.. finite.Select(values =>
            {
                double[] f = new double[bins];
                foreach (double v in values)
                {
                    f[Math.Min(bins - 1, (int)((v - lo) / width))] += 1.0 / values.Length;
                }

                return f;
            })];
            var x = Axis.Linear(lo, lo + (width * bins));
            var y = Axis.Linear(0, fractions.SelectMany(f => f).Max());
            frame.DrawAxes(w, x, y);
            for (int g = 0; g < groups.Count; g++)
            {
                // The outline: along the top of every bin, down to zero at both ends.
                var path = new StringBuilder().Append('M').Append(Fmt(frame.X(x, lo))).Append(',').Append(Fmt(frame.Y(y, 0)));
                for (int b = 0; b < bins; b++)
                {
                    double top = frame.Y(y, fractions[g][b]);
                    path.Append(" L").Append(Fmt(frame.X(x, lo + (b * width)))).Append(',').Append(Fmt(top))
                        .Append(" L").Append(Fmt(frame.X(x, lo + ((b + 1) * width)))).Append(',').Append(Fmt(top));
                }

                path.Append(" L").Append(Fmt(frame.X(x, lo + (bins * width)))).Append(',').Append(Fmt(frame.Y(y, 0)));
                w.WriteStartElement("path");
                w.WriteAttributeString("class", "histogram");
                w.WriteAttributeString("data-name", groups[g].Name);
                w.WriteAttributeString("d", path.ToString());
                w.WriteAttributeString("fill", "none");
                w.WriteAttributeString("stroke", Palette[g % Palette.Length]);
                w.WriteAttributeString("stroke-width", "1.5");
                WriteDash(w, g);
                w.WriteEndElement();
            }

            frame.DrawLegend(w, [.. groups.Select(group => group.Name)]);
        });
    }

    /// <summary>One box plot per group: median, quartiles, whiskers at 1.5 IQR and outliers as dots.</summary>
    public static string BoxPlot(IReadOnlyList<(string Group, IReadOnlyList<double> Values)> groups, string title, string yLabel)
    {
        ArgumentNullException.ThrowIfNull(groups);
        double[] all = [.. groups.SelectMany(g => g.Values).Where(double.IsFinite)];
        return Document(title, "", yLabel, all.Length == 0, (w, frame) =>
        {
            var y = Axis.Linear(all.Min(), all.Max());
            frame.DrawAxes(w, null, y);
            double slot = frame.PlotWidth / groups.Count;
            for (int g = 0; g < groups.Count; g++)
            {
                double centre = Left + (slot * (g + 0.5)), half = Math.Min(30, slot * 0.3);
                if (slot < 60)
                {
                    // Many groups: slant the labels so long method names do not run into each other.
                    w.WriteStartElement("text");
                    w.WriteAttributeString("class", "group-label");
                    w.WriteAttributeString("transform", $"translate({Fmt(centre)},{Fmt(Height - Bottom + 12)}) rotate(-30)");
                    w.WriteAttributeString("text-anchor", "end");
                    w.WriteAttributeString("font-size", "10");
                    w.WriteString(groups[g].Group);
                    w.WriteEndElement();
                }
                else
                {
                    Text(w, "group-label", centre, Height - Bottom + 18, groups[g].Group, "middle");
                }

                if (Reproduction.BoxSummary.Of(groups[g].Values) is not { } box)
                {
                    continue;
                }

                string colour = Palette[g % Palette.Length];
                w.WriteStartElement("g");
                w.WriteAttributeString("class", "box");
                w.WriteAttributeString("data-group", groups[g].Group);
                Line(w, "whisker", centre, frame.Y(y, box.WhiskerLow), centre, frame.Y(y, box.Q1), colour);
                Line(w, "whisker", centre, frame.Y(y, box.Q3), centre, frame.Y(y, box.WhiskerHigh), colour);
                Rect(w, "iqr", centre - half, frame.Y(y, box.Q3), 2 * half, frame.Y(y, box.Q1) - frame.Y(y, box.Q3), "none", colour);
                Line(w, "median", centre - half, frame.Y(y, box.Median), centre + half, frame.Y(y, box.Median), colour);
                foreach (double outlier in box.Outliers)
                {
                    w.WriteStartElement("circle");
                    w.WriteAttributeString("class", "outlier");
                    w.WriteAttributeString("cx", Fmt(centre));
                    w.WriteAttributeString("cy", Fmt(frame.Y(y, outlier)));
                    w.WriteAttributeString("r", "2");
                    w.WriteAttributeString("fill", colour);
                    w.WriteEndElement();
                }

                w.WriteEndElement();
            }
        });
    }

    /// <summary>
    /// Tick positions covering [<paramref name="min"/>, <paramref name="max"/>] at a "nice" step (1, 2 or 5
    /// times a power of ten) giving about <paramref name="target"/> intervals.
    /// </summary>
    public static double[] NiceTicks(double min, double max, int target = 5)
    {
        if (!(max > min))
        {
            // A single value: put it in the middle of a unit-wide range.
            double centre = double.IsFinite(min) ? min : 0;
            return NiceTicks(centre - 0.5, centre + 0.5, target);
        }

        double rough = (max - min) / Math.Max(1, target);
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double step = (rough / power) switch { < 1.5 => 1, < 3 => 2, < 7 => 5, _ => 10 } * power;
        double first = Math.Floor(min / step) * step, last = Math.Ceiling(max / step) * step;
        int count = (int)Math.Round((last - first) / step) + 1;

        // Multiply rather than accumulate, and round away float noise such as 0.30000000000000004.
        return [.. Enumerable.Range(0, count).Select(i => Math.Round(first + (i * step), 12))];
    }

    /// <summary>Writes an SVG string to a file (UTF-8, no byte-order mark).</summary>
    public static void Save(string path, string svg) => File.WriteAllText(path, svg, new UTF8Encoding(false));

    private static string Document(string title, string xLabel, string yLabel, bool empty, Action<XmlWriter, Frame> draw)
    {
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        using var buffer = new MemoryStream();
        using (XmlWriter w = XmlWriter.Create(buffer, settings))
        {
            w.WriteStartElement("svg", "http://www.w3.org/2000/svg");
            w.WriteAttributeString("width", Fmt(Width));
            w.WriteAttributeString("height", Fmt(Height));
            w.WriteAttributeString("viewBox", $"0 0 {Fmt(Width)} {Fmt(Height)}");
            w.WriteAttributeString("font-family", "sans-serif");
            w.WriteAttributeString("font-size", "12");
            Rect(w, "background", 0, 0, Width, Height, "white");
            Text(w, "title", Width / 2, 22, title ?? "", "middle", "15");
            Text(w, "x-label", Left + ((Width - Left - Right) / 2), Height - 12, xLabel ?? "", "middle");
            w.WriteStartElement("text");
            w.WriteAttributeString("class", "y-label");
            w.WriteAttributeString("transform", $"translate(16,{Fmt(Top + ((Height - Top - Bottom) / 2))}) rotate(-90)");
            w.WriteAttributeString("text-anchor", "middle");
            w.WriteString(yLabel ?? "");
            w.WriteEndElement();
            if (empty)
            {
                Text(w, "no-data", Width / 2, Height / 2, "no data", "middle");
            }
            else
            {
                draw(w, new Frame());
            }

            w.WriteEndElement();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Fmt(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static string TickText(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static void Text(XmlWriter w, string cls, double x, double y, string text, string anchor, string? size = null)
    {
        w.WriteStartElement("text");
        w.WriteAttributeString("class", cls);
        w.WriteAttributeString("x", Fmt(x));
        w.WriteAttributeString("y", Fmt(y));
        w.WriteAttributeString("text-anchor", anchor);
        if (size is not null)
        {
            w.WriteAttributeString("font-size", size);
        }

        w.WriteString(text);
        w.WriteEndElement();
    }

    private static void Rect(XmlWriter w, string cls, double x, double y, double width, double height, string fill, string? stroke = null)
    {
        w.WriteStartElement("rect");
        w.WriteAttributeString("class", cls);
        w.WriteAttributeString("x", Fmt(x));
        w.WriteAttributeString("y", Fmt(y));
        w.WriteAttributeString("width", Fmt(Math.Max(0, width)));
        w.WriteAttributeString("height", Fmt(Math.Max(0, height)));
        w.WriteAttributeString("fill", fill);
        if (stroke is not null)
        {
            w.WriteAttributeString("stroke", stroke);
        }

        w.WriteEndElement();
    }

    /// <summary>The dash pattern of the <paramref name="k"/>-th series, if it is not solid.</summary>
    private static void WriteDash(XmlWriter w, int k)
    {
        if (Dashes[(k / Palette.Length) % Dashes.Length] is string dash)
        {
            w.WriteAttributeString("stroke-dasharray", dash);
        }
    }

    private static void Line(XmlWriter w, string cls, double x1, double y1, double x2, double y2, string stroke)
    {
        w.WriteStartElement("line");
        w.WriteAttributeString("class", cls);
        w.WriteAttributeString("x1", Fmt(x1));
        w.WriteAttributeString("y1", Fmt(y1));
        w.WriteAttributeString("x2", Fmt(x2));
        w.WriteAttributeString("y2", Fmt(y2));
        w.WriteAttributeString("stroke", stroke);
        w.WriteEndElement();
    }

    /// <summary>An axis: its tick values and the map from data to [0, 1] (log10 for a log axis).</summary>
    private sealed record Axis(double[] Ticks, bool IsLog)
    {
        public static Axis Linear(double min, double max) => new(NiceTicks(min, max), false);

        public static Axis Log(double min, double max)
        {
            // Ticks at the powers of ten around the data.
            int lo = (int)Math.Floor(Math.Log10(min)), hi = Math.Max(lo + 1, (int)Math.Ceiling(Math.Log10(max)));
            return new([.. Enumerable.Range(lo, hi - lo + 1).Select(e => Math.Pow(10, e))], true);
        }

        public double Unit(double v)
        {
            double t0 = Map(Ticks[0]), t1 = Map(Ticks[^1]);
            return (Map(v) - t0) / (t1 - t0);
        }

        private double Map(double v) => IsLog ? Math.Log10(v) : v;
    }

    /// <summary>The plot area inside the margins.</summary>
    private sealed class Frame
    {
        public double PlotWidth => Width - Left - Right;

        private static double PlotHeight => Height - Top - Bottom;

        public double X(Axis axis, double v) => Left + (axis.Unit(v) * PlotWidth);

        public double Y(Axis axis, double v) => Top + PlotHeight - (axis.Unit(v) * PlotHeight);

        public void DrawAxes(XmlWriter w, Axis? x, Axis y)
        {
            Line(w, "axis", Left, Top + PlotHeight, Left + PlotWidth, Top + PlotHeight, "#333");
            Line(w, "axis", Left, Top, Left, Top + PlotHeight, "#333");
            foreach (double t in x?.Ticks ?? [])
            {
                Line(w, "x-tick", X(x!, t), Top + PlotHeight, X(x!, t), Top + PlotHeight + 5, "#333");
                Text(w, "x-tick-label", X(x!, t), Top + PlotHeight + 18, TickText(t), "middle");
            }

            foreach (double t in y.Ticks)
            {
                Line(w, "grid", Left, Y(y, t), Left + PlotWidth, Y(y, t), "#e5e5e5");
                Text(w, "y-tick-label", Left - 6, Y(y, t) + 4, TickText(t), "end");
            }
        }

        public void DrawLegend(XmlWriter w, string[] names)
        {
            w.WriteStartElement("g");
            w.WriteAttributeString("class", "legend");
            for (int k = 0; k < names.Length; k++)
            {
                double y = Top + 10 + (k * 18);
                w.WriteStartElement("line");
                w.WriteAttributeString("class", "legend-swatch");
                w.WriteAttributeString("x1", Fmt(Left + PlotWidth + 12));
                w.WriteAttributeString("y1", Fmt(y));
                w.WriteAttributeString("x2", Fmt(Left + PlotWidth + 32));
                w.WriteAttributeString("y2", Fmt(y));
                w.WriteAttributeString("stroke", Palette[k % Palette.Length]);
                w.WriteAttributeString("stroke-width", "1.5");
                WriteDash(w, k);
                w.WriteEndElement();
                Text(w, "legend-label", Left + PlotWidth + 38, y + 4, names[k], "start");
            }

            w.WriteEndElement();
        }
    }
}
