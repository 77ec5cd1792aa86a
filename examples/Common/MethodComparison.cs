using static System.FormattableString;

namespace Spamp.Examples;

/// <summary>One column of a <see cref="MethodComparison"/> table: its header and how to show a run's value.</summary>
/// <param name="Header">The column header.</param>
/// <param name="Cell">The text of the cell for one run.</param>
public sealed record ResultColumn(string Header, Func<TrainingResult, string> Cell);

/// <summary>
/// The results of several methods trained on the same problem, shown as one table (the example's own
/// columns, then what every run has: training loss, update magnitudes, throughput, wall time) and as
/// training-loss curves.
/// </summary>
public sealed class MethodComparison
{
    /// <summary>The loss curves average this many steps per point, so methods can be told apart.</summary>
    public const int PlotWindow = 20;

    private readonly List<(string Method, TrainingResult Result)> _results = [];

    /// <summary>The runs so far, in the order they were added.</summary>
    public IReadOnlyList<(string Method, TrainingResult Result)> Results => _results;

    /// <summary>Adds the run of <paramref name="method"/>.</summary>
    public void Add(string method, TrainingResult result)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(result);
        _results.Add((method, result));
    }

    /// <summary>
    /// Writes the table: one row per method, <paramref name="columns"/> first, then the final training loss,
    /// the mean and largest per-layer update magnitude lr*|u|, training samples per second and wall time.
    /// </summary>
    public void WriteTable(TextWriter writer, params ResultColumn[] columns)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(columns);
        ResultColumn[] all =
        [
            .. columns,
            new("train loss", r => Invariant($"{r.FinalTrainLoss:F4}")),
            new("mean lr*|u|", r => Invariant($"{r.MeanUpdateMagnitude:E3}")),
            new("max lr*|u|", r => Invariant($"{r.MaxUpdateMagnitude:E3}")),
            new("samples/s", r => Invariant($"{r.SamplesPerSecond:F0}")),
            new("wall", r => Invariant($"{r.WallTime.TotalSeconds:F0}s")),
        ];

        // Each column is as wide as its widest entry, so any metric format lines up.
        var cells = new string[_results.Count, all.Length];
        int methodWidth = "method".Length;
        var widths = new int[all.Length];
        for (int c = 0; c < all.Length; c++)
        {
            widths[c] = all[c].Header.Length;
        }

        for (int r = 0; r < _results.Count; r++)
        {
            methodWidth = Math.Max(methodWidth, _results[r].Method.Length);
            for (int c = 0; c < all.Length; c++)
            {
                cells[r, c] = all[c].Cell(_results[r].Result);
                widths[c] = Math.Max(widths[c], cells[r, c].Length);
            }
        }

        var line = new System.Text.StringBuilder("method".PadRight(methodWidth));
        for (int c = 0; c < all.Length; c++)
        {
            line.Append(' ').Append(all[c].Header.PadLeft(widths[c]));
        }

        writer.WriteLine(line);
        writer.WriteLine(new string('-', line.Length));
        for (int r = 0; r < _results.Count; r++)
        {
            line.Clear().Append(_results[r].Method.PadRight(methodWidth));
            for (int c = 0; c < all.Length; c++)
            {
                line.Append(' ').Append(cells[r, c].PadLeft(widths[c]));
            }

            writer.WriteLine(line);
        }

        writer.WriteLine();
        writer.WriteLine("lr*|u|: per-layer update magnitude from the optimizer telemetry (learning rate times the norm of the shaped update), over all steps and layers.");
    }

    /// <summary>Writes the training loss of every method per step, averaged over windows of <see cref="PlotWindow"/> steps, as an SVG chart.</summary>
    public void SaveLossPlot(string path, string title, bool logY = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        var series = _results.Select(r => new Series(r.Method,
            [.. Enumerable.Range(0, r.Result.Losses.Count / PlotWindow).Select(i => (double)((i + 1) * PlotWindow))],
            [.. r.Result.Losses.Chunk(PlotWindow).Where(c => c.Length == PlotWindow).Select(c => c.Average())])).ToList();
        SvgPlot.Save(path, SvgPlot.LineChart(series, title, "step", $"loss (mean of {PlotWindow} steps)", logY));
    }
}
