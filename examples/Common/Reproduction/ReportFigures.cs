using System.Globalization;
using Spamp.Examples.Tasks;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// The report's figures, analogues of the paper's Figures 1-5, as SVG files: training-loss curves, update
/// magnitude over time (main runs and under the batch shift), the metric over training, histograms of the
/// gradient norm, box plots of the per-layer gradient norms at three stages, and the metric against the
/// label-noise level.
/// </summary>
public sealed class ReportFigures
{
    /// <summary>Points per curve: a run's steps are averaged in this many consecutive windows, so curves of many methods stay apart.</summary>
    public const int CurvePoints = 100;

    /// <summary>The methods whose gradient-norm histograms share one chart (more would be unreadable).</summary>
    public static IReadOnlyList<string> HistogramMethods { get; } = ["spamp", "clip", "none", "zclip"];

    private readonly ReportData _data;
    private readonly TrainingTask _task;
    private readonly ReproductionPlan _plan;
    private readonly string _directory;

    /// <summary>Figures over <paramref name="data"/> written into <paramref name="directory"/>.</summary>
    public ReportFigures(ReportData data, TrainingTask task, string directory)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _task = task ?? throw new ArgumentNullException(nameof(task));
        _directory = directory ?? throw new ArgumentNullException(nameof(directory));
        _plan = data.Plan;
    }

    /// <summary>Writes the figures of the main runs; returns (file name, caption) of each.</summary>
    public IReadOnlyList<(string File, string Caption)> Main()
    {
        var written = new List<(string, string)>();
        IReadOnlyList<string> methods = _plan.Options.Methods;
        Save(written, "loss.svg", "Figure 1 analogue: training loss per step, mean over seeds, averaged in windows",
            SvgPlot.LineChart([.. methods.Select(m => Curve(m, _data.Main(m), r => r.Losses))],
                $"{_task.Name}: training loss", "step", "loss"));
        Save(written, "update-magnitude.svg", "Figure 2 analogue: update magnitude lr*‖g~‖ per step, mean over seeds, averaged in windows",
            SvgPlot.LineChart([.. methods.Select(m => Curve(m, _data.Main(m), r => r.UpdateMagnitudes))],
                $"{_task.Name}: update magnitude", "step", "lr*‖g~‖", logY: true));
        Save(written, $"{_task.MetricName}.svg", $"Evaluation {_task.MetricName} during training, mean over seeds",
            SvgPlot.LineChart([.. methods.Select(m => EvaluationCurve(m, _data.Main(m)))],
                $"{_task.Name}: evaluation {_task.MetricName}", "step", _task.MetricName, logY: !_task.HigherIsBetter));

        string[] shown = [.. HistogramMethods.Where(methods.Contains)];
        Save(written, "grad-norm-histogram.svg",
            $"Figure 3 analogue: distribution of log10 of the global gradient norm after shaping, ‖g~‖, over all steps and seeds ({string.Join(", ", shown)})",
            SvgPlot.Histograms([.. shown.Select(m => (m, (IReadOnlyList<double>)[.. _data.Main(m).SelectMany(r => r.NormsAfter).Where(n => n > 0).Select(Math.Log10)]))],
                40, $"{_task.Name}: gradient norm after shaping", "log10 ‖g~‖"));

        foreach (double point in ReportTables.TrainingPoints)
        {
            string stage = point < 0.34 ? "early" : point < 0.67 ? "mid" : "late";
            string percent = string.Create(CultureInfo.InvariantCulture, $"{point * 100:0}%");
            Save(written, $"layer-norms-{stage}.svg",
                $"Figure 4 analogue: per-layer gradient norms after shaping (log10 ‖g~_l‖, every layer, snapshots within ±{ReportTables.PointHalfWindow * 100:0}% of {percent}, all seeds)",
                SvgPlot.BoxPlot([.. methods.Select(m => (m, (IReadOnlyList<double>)[.. LayerNormsAt(_data.Main(m), point)]))],
                    $"{_task.Name}: per-layer gradient norms at {percent} ({stage})", "log10 ‖g~_l‖"));
        }

        return written;
    }

    /// <summary>Writes the batch-shift figure; returns its (file name, caption).</summary>
    public IReadOnlyList<(string File, string Caption)> BatchShift()
    {
        var written = new List<(string, string)>();
        Save(written, "update-magnitude-batch-shift.svg",
            $"Update magnitude lr*‖g~‖ per step with the batch size alternating {Perturbations.ShiftSmallBatch}/{Perturbations.ShiftLargeBatch}, mean over seeds, averaged in windows",
            SvgPlot.LineChart([.. _plan.StudyMethods.Select(m => Curve(m, _data.Runs(m, _plan.ShiftSteps, batchShift: true), r => r.UpdateMagnitudes))],
                $"{_task.Name}: update magnitude under the batch shift", "step", "lr*‖g~‖", logY: true));
        return written;
    }

    /// <summary>Writes the label-noise figure; returns its (file name, caption).</summary>
    public IReadOnlyList<(string File, string Caption)> LabelNoise()
    {
        var written = new List<(string, string)>();
        double[] levels = [.. Perturbations.NoiseLevels.Select(l => l * 100)];
        Save(written, "label-noise.svg", $"Figure 5 analogue: final {_task.MetricName} against the label-noise level, mean over seeds",
            SvgPlot.LineChart([.. _plan.StudyMethods.Select(m => new Series(m, levels,
                    [.. Perturbations.NoiseLevels.Select(l => Statistics.Mean([.. _data.Runs(m, _plan.StudySteps, labelNoise: l).Select(r => r.FinalMetric)]))]))],
                $"{_task.Name}: {_task.MetricName} under label noise", "corrupted training labels (%)", _task.MetricName));
        return written;
    }

    /// <summary>
    /// One method's curve: the per-step mean over seeds of <paramref name="series"/>, averaged over
    /// consecutive windows so that about <see cref="CurvePoints"/> points remain (x = the window's last step).
    /// </summary>
    public static Series Curve(string name, IReadOnlyList<RunRecord> runs, Func<RunRecord, double[]> series)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(series);
        if (runs.Count == 0)
        {
            return new Series(name, [], []);
        }

        int length = runs.Min(r => series(r).Length);
        int window = Math.Max(1, length / CurvePoints);
        var x = new List<double>();
        var y = new List<double>();
        for (int start = 0; start + window <= length; start += window)
        {
            double sum = 0;
            foreach (RunRecord run in runs)
            {
                double[] values = series(run);
                for (int i = start; i < start + window; i++)
                {
                    sum += values[i];
                }
            }

            x.Add(start + window);
            y.Add(sum / (window * runs.Count));
        }

        return new Series(name, x, y);
    }

    private static Series EvaluationCurve(string name, IReadOnlyList<RunRecord> runs)
    {
        if (runs.Count == 0)
        {
            return new Series(name, [], []);
        }

        // Every run of a plan evaluates at the same steps.
        long[] steps = [.. runs[0].Evaluations.Select(e => e.Step)];
        return new Series(name, [.. steps.Select(s => (double)s)],
            [.. steps.Select(s => Statistics.Mean([.. runs.Select(r => r.Evaluations.FirstOrDefault(e => e.Step == s)?.Metric ?? double.NaN)]))]);
    }

    private static IEnumerable<double> LayerNormsAt(IReadOnlyList<RunRecord> runs, double point) =>
        runs.SelectMany(r => r.Snapshots
                .Where(s => Math.Abs(s.Step - (point * r.Steps)) <= ReportTables.PointHalfWindow * r.Steps)
                .SelectMany(s => s.After))
            .Where(n => n > 0)
            .Select(Math.Log10);

    private void Save(List<(string, string)> written, string file, string caption, string svg)
    {
        SvgPlot.Save(Path.Combine(_directory, file), svg);
        written.Add((file, caption));
    }
}
