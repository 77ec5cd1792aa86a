using System.Globalization;
using Spamp.Examples.Tasks;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// Builds the report's tables from the finished runs: Table 1 (final metric), Table 2 (inter-layer
/// gradient statistics), Table 3 (update magnitude under the batch shift), Table 4 (ablations), steps to
/// threshold and the perturbation studies, each with its SPAMP-versus-baseline verdicts under
/// <see cref="Verdict.Rule"/>.
/// </summary>
public sealed class ReportTables
{
    /// <summary>The training points of Table 2, as fractions of the run.</summary>
    public static IReadOnlyList<double> TrainingPoints { get; } = [0.1, 0.5, 0.9];

    /// <summary>Half the width of the window around a training point whose snapshots are averaged, as a fraction of the run.</summary>
    public const double PointHalfWindow = 0.05;

    private static readonly string[] IntervalNames = ["early", "mid", "late"];

    private readonly ReportData _data;
    private readonly TrainingTask _task;
    private readonly ReproductionPlan _plan;
    private readonly double _threshold;
    private readonly int _evaluationsPerRun;

    /// <summary>Tables over <paramref name="data"/> for <paramref name="task"/>.</summary>
    /// <param name="data">The finished runs.</param>
    /// <param name="task">The task (metric and its direction).</param>
    /// <param name="threshold">The steps-to-threshold target.</param>
    /// <param name="evaluationsPerRun">Evaluations per run: the resolution of steps-to-threshold.</param>
    public ReportTables(ReportData data, TrainingTask task, double threshold, int evaluationsPerRun)
    {
        _evaluationsPerRun = Math.Max(1, evaluationsPerRun);
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _task = task ?? throw new ArgumentNullException(nameof(task));
        _plan = data.Plan;
        _threshold = threshold;
    }

    private bool HigherIsBetter => _task.HigherIsBetter;

    private string MetricName => _task.MetricName;

    /// <summary>Table 1: the final metric of every method, mean ± std over seeds.</summary>
    public ReportSection Table1()
    {
        IReadOnlyList<string> methods = _plan.Options.Methods;
        var table = new MarkdownTable("method", $"{MetricName}", "eval loss", "final train loss", "seeds", "diverged", "s/run", "SPAMP vs this");
        MeanStd spamp = MetricOf(_data.Main("spamp"));
        var outcomes = new List<(string, Outcome)>();
        foreach (string method in methods)
        {
            IReadOnlyList<RunRecord> runs = _data.Main(method);
            MeanStd metric = MetricOf(runs);
            string vs = "";
            if (method != "spamp" && spamp.Count > 0 && runs.Count > 0)
            {
                Outcome o = Verdict.Compare(spamp, metric, HigherIsBetter);
                outcomes.Add((method, o));
                vs = Verdict.Word(o);
            }

            table.AddRow(method, FormatMetric(metric), ReportData.Over(runs, r => r.FinalLoss).ToString("F4"),
                ReportData.Over(runs, FinalTrainLoss).ToString("F4"), Count(runs.Count), Count(runs.Count(r => r.Diverged)),
                Fixed(Statistics.Mean([.. runs.Select(r => r.WallSeconds)]), "F1"), vs);
        }

        return new ReportSection($"Table 1: final {MetricName}",
            $"Every method trained for {_plan.Steps} steps from the same initial weights and data order per seed ({_plan.Seeds.Count} seed{(_plan.Seeds.Count == 1 ? "" : "s")}); " +
            $"{MetricName} on the evaluation set at the end, mean ± sample std over seeds. Final train loss: mean training loss over the last 10% of the steps.",
            [("", table)],
            [VerdictSentence($"final {MetricName} ({(HigherIsBetter ? "higher" : "lower")} is better)", outcomes)]);
    }

    /// <summary>Table 2: mean and variance over layers of the per-layer gradient norms at 10/50/90% of training.</summary>
    public ReportSection Table2()
    {
        var tables = new List<(string, MarkdownTable)>();
        var perBaseline = new Dictionary<string, List<Outcome>>();
        foreach (bool shaped in (bool[])[false, true])
        {
            var headers = new List<string> { "method" };
            foreach (double p in TrainingPoints)
            {
                headers.Add($"{Percent(p)}: mean");
                headers.Add($"{Percent(p)}: variance");
            }

            var table = new MarkdownTable([.. headers]);
            var spampStats = TrainingPoints.Select(p => InterLayerOver(_data.Main("spamp"), p, shaped)).ToArray();
            foreach (string method in _plan.Options.Methods)
            {
                IReadOnlyList<RunRecord> runs = _data.Main(method);
                var row = new List<string> { method };
                for (int i = 0; i < TrainingPoints.Count; i++)
                {
                    var (mean, variance) = InterLayerOver(runs, TrainingPoints[i], shaped);
                    row.Add(mean.ToString("G3"));
                    row.Add(variance.ToString("G3"));
                    if (shaped && method != "spamp" && spampStats[i].Variance.Count > 0 && variance.Count > 0)
                    {
                        perBaseline.TryAdd(method, []);
                        perBaseline[method].Add(Verdict.Compare(spampStats[i].Variance, variance, higherIsBetter: false));
                    }
                }

                table.AddRow([.. row]);
            }

            tables.Add((shaped
                ? "**(b) After shaping**: norms of the gradients the update rule consumed, ‖g~_l‖."
                : "**(a) Before shaping**: norms of the gradients backward produced, ‖g_l‖.", table));
        }

        string points = string.Join("/", TrainingPoints.Select(Percent));
        var verdicts = perBaseline.Select(kv =>
            $"Against {kv.Key}: SPAMP's inter-layer variance of the shaped norms {string.Join(", ", kv.Value.Select((o, i) => $"{Verdict.Word(o)} at {Percent(TrainingPoints[i])}"))} (lower counts as a win, as the paper reads it).").ToList();
        return new ReportSection("Table 2: inter-layer gradient-norm statistics",
            $"At {points} of the {_plan.Steps} main steps, the mean and the population variance over layers (one layer per parameter tensor) of the per-layer gradient norms; " +
            $"each cell averages the optimizer telemetry snapshots within ±{Percent(PointHalfWindow)} of the run around the point, then mean ± std over seeds.",
            tables, verdicts.Count > 0 ? verdicts : [NoComparison]);
    }

    /// <summary>Table 3: std and max of lr*||g~|| over the first, middle and last third of the batch-shift runs.</summary>
    public ReportSection Table3()
    {
        var headers = new List<string> { "method" };
        foreach (string interval in IntervalNames)
        {
            headers.Add($"{interval}: std");
            headers.Add($"{interval}: max");
        }

        var table = new MarkdownTable([.. headers]);
        MeanStd[] spamp = IntervalStats(Shift("spamp"));
        var verdicts = new List<string>();
        foreach (string method in _plan.StudyMethods)
        {
            MeanStd[] stats = IntervalStats(Shift(method));
            table.AddRow([method, .. stats.Select(s => s.ToString("G3"))]);
            if (method != "spamp" && spamp[0].Count > 0 && stats[0].Count > 0)
            {
                IEnumerable<string> parts = Enumerable.Range(0, IntervalNames.Length).Select(i =>
                    $"{IntervalNames[i]} std {Verdict.Word(Verdict.Compare(spamp[2 * i], stats[2 * i], false))}, max {Verdict.Word(Verdict.Compare(spamp[(2 * i) + 1], stats[(2 * i) + 1], false))}");
                verdicts.Add($"Against {method}: {string.Join("; ", parts)} (a smaller update magnitude counts as a win).");
            }
        }

        return new ReportSection("Table 3: update magnitude under the batch-size shift",
            $"The update magnitude lr*‖g~‖ of each step (the root of the sum of the per-layer lr*‖g~_l‖ squared, from the optimizer telemetry) " +
            $"with the batch size alternating {Perturbations.ShiftSmallBatch}/{Perturbations.ShiftLargeBatch} every step, over {_plan.ShiftSteps} steps; " +
            "std and max within the first, middle and last third of the run, mean ± std over seeds. The learning rate decays to zero, so late values are small for every method.",
            [("", table)], verdicts.Count > 0 ? verdicts : [NoComparison]);
    }

    /// <summary>Table 4: SPAMP against its ablations.</summary>
    public ReportSection Table4()
    {
        var table = new MarkdownTable(["variant", "switched off", MetricName, "change vs full", "full vs this"],
            [ColumnAlignment.Left, ColumnAlignment.Left, ColumnAlignment.Right, ColumnAlignment.Right, ColumnAlignment.Left]);
        MeanStd full = MetricOf(_data.Runs("spamp", _plan.StudySteps));
        table.AddRow("spamp (full)", OptimizerVariants.FullDescription, FormatMetric(full), "", "");
        var outcomes = new List<(string, Outcome)>();
        foreach (var (name, _, switchedOff) in OptimizerVariants.Ablations)
        {
            IReadOnlyList<RunRecord> runs = _data.Runs(name, _plan.StudySteps);
            MeanStd metric = MetricOf(runs);
            string vs = "";
            if (full.Count > 0 && runs.Count > 0)
            {
                Outcome o = Verdict.Compare(full, metric, HigherIsBetter);
                outcomes.Add((name, o));
                vs = Verdict.Word(o);
            }

            table.AddRow(name, switchedOff, FormatMetric(metric), FormatMetricDelta(metric.Mean - full.Mean), vs);
        }

        return new ReportSection("Table 4: SPAMP ablations",
            $"AdamW + SpampShaping with one part switched off (SpampShaping.Preset), {_plan.StudySteps} steps, same seeds, data and schedule as the full method. " +
            OptimizerVariants.MissingAblations,
            [("", table)], [VerdictSentence($"final {MetricName}, full SPAMP against each ablation", outcomes)]);
    }

    /// <summary>Steps until the evaluation metric first reaches the task's threshold.</summary>
    public ReportSection StepsToThresholdSection()
    {
        var table = new MarkdownTable("method", "steps (seeds that reached it)", "reached", "SPAMP vs this");
        var spamp = StepsOf("spamp");
        var outcomes = new List<(string, Outcome)>();
        foreach (string method in _plan.Options.Methods)
        {
            var (steps, reached, seeds) = StepsOf(method);
            string vs = "";
            if (method != "spamp" && spamp.Seeds > 0 && seeds > 0)
            {
                Outcome o = StepsToThreshold.Compare((spamp.Steps, spamp.Reached), (steps, reached));
                outcomes.Add((method, o));
                vs = Verdict.Word(o);
            }

            table.AddRow(method, reached == 0 ? "never" : steps.ToString("F0"), $"{reached}/{seeds}", vs);
        }

        long resolution = _plan.Steps / _evaluationsPerRun;
        return new ReportSection("Steps to threshold",
            $"The first evaluation of each main run at which the {MetricName} is {(HigherIsBetter ? "at or above" : "at or below")} {FormatThreshold()}; " +
            $"evaluations every {resolution} steps, so that is the resolution. Mean ± std over the seeds that reached it; seeds that did not are counted, not averaged.",
            [("", table)], [VerdictSentence("steps to threshold (reaching it on more seeds wins, then fewer steps)", outcomes)]);
    }

    /// <summary>Final metric under 0/10/20/40% label noise.</summary>
    public ReportSection LabelNoiseSection()
    {
        IReadOnlyList<double> levels = Perturbations.NoiseLevels;
        var table = new MarkdownTable(["method", .. levels.Select(l => $"{l * 100:0}% noise"), "change 0→40%"],
            [ColumnAlignment.Left, .. levels.Select(_ => ColumnAlignment.Right), ColumnAlignment.Right]);
        MeanStd[] spamp = [.. levels.Select(l => MetricOf(_data.Runs("spamp", _plan.StudySteps, labelNoise: l)))];
        var verdicts = new List<string>();
        foreach (string method in _plan.StudyMethods)
        {
            MeanStd[] metric = [.. levels.Select(l => MetricOf(_data.Runs(method, _plan.StudySteps, labelNoise: l)))];
            table.AddRow([method, .. metric.Select(FormatMetric), FormatMetricDelta(metric[^1].Mean - metric[0].Mean)]);
            if (method != "spamp" && spamp.All(s => s.Count > 0) && metric.All(m => m.Count > 0))
            {
                verdicts.Add($"Against {method}: {string.Join(", ", levels.Select((l, i) => $"{Verdict.Word(Verdict.Compare(spamp[i], metric[i], HigherIsBetter))} at {l * 100:0}%"))}.");
            }
        }

        return new ReportSection("Label noise",
            $"Final {MetricName} on the clean evaluation set after {_plan.StudySteps} steps on training labels of which the given fraction was replaced by a uniformly drawn wrong class " +
            "(the same corrupted examples and labels for every method of a seed), mean ± std over seeds.",
            [("", table)], verdicts.Count > 0 ? verdicts : [NoComparison]);
    }

    /// <summary>Final metric and update magnitude with 5x gradient spikes.</summary>
    public ReportSection SpikesSection()
    {
        var table = new MarkdownTable($"method", $"{MetricName} clean", $"{MetricName} with spikes", "change", "max lr*‖g~‖ on spike steps", "max lr*‖g~‖ clean run, same steps");
        MeanStd spampSpiked = MetricOf(_data.Runs("spamp", _plan.StudySteps, spikes: true));
        MeanStd spampPeak = PeakOnSpikes(_data.Runs("spamp", _plan.StudySteps, spikes: true));
        var verdicts = new List<string>();
        foreach (string method in _plan.StudyMethods)
        {
            IReadOnlyList<RunRecord> clean = _data.Runs(method, _plan.StudySteps), spiked = _data.Runs(method, _plan.StudySteps, spikes: true);
            MeanStd metricClean = MetricOf(clean), metricSpiked = MetricOf(spiked), peak = PeakOnSpikes(spiked);
            table.AddRow(method, FormatMetric(metricClean), FormatMetric(metricSpiked), FormatMetricDelta(metricSpiked.Mean - metricClean.Mean),
                peak.ToString("G3"), PeakOnSpikes(clean).ToString("G3"));
            if (method != "spamp" && spampSpiked.Count > 0 && metricSpiked.Count > 0)
            {
                verdicts.Add($"Against {method}: final {MetricName} with spikes {Verdict.Word(Verdict.Compare(spampSpiked, metricSpiked, HigherIsBetter))}, " +
                    $"largest update on a spike step {Verdict.Word(Verdict.Compare(spampPeak, peak, higherIsBetter: false))} (smaller counts as a win).");
            }
        }

        return new ReportSection("Gradient spikes",
            $"{_plan.StudySteps} steps; on {Perturbations.SpikeRate * 100:0}% of them, chosen by the seed and the same for every method, the loss is multiplied by " +
            $"{Perturbations.SpikeFactor} before backward, so every gradient of that step is {Perturbations.SpikeFactor}x (the loss, not the gradients, is scaled: the optimizer sees the spike as a bad batch). " +
            "The clean column is the same run without spikes; the last column is the clean run's largest update on the steps that are spiked in the other.",
            [("", table)], verdicts.Count > 0 ? verdicts : [NoComparison]);
    }

    /// <summary>Final metric with the batch size alternating 16/512.</summary>
    public ReportSection BatchShiftSection()
    {
        var table = new MarkdownTable("method", $"{MetricName} under the shift", "final train loss", "max lr*‖g~‖", "diverged");
        MeanStd spamp = MetricOf(Shift("spamp"));
        var outcomes = new List<(string, Outcome)>();
        foreach (string method in _plan.StudyMethods)
        {
            IReadOnlyList<RunRecord> runs = Shift(method);
            MeanStd metric = MetricOf(runs);
            table.AddRow(method, FormatMetric(metric), ReportData.Over(runs, FinalTrainLoss).ToString("F4"),
                ReportData.Over(runs, r => Statistics.Max([.. r.UpdateMagnitudes.Where(double.IsFinite)])).ToString("G3"), Count(runs.Count(r => r.Diverged)));
            if (method != "spamp" && spamp.Count > 0 && metric.Count > 0)
            {
                outcomes.Add((method, Verdict.Compare(spamp, metric, HigherIsBetter)));
            }
        }

        return new ReportSection("Batch-size shift",
            $"{_plan.ShiftSteps} steps with the batch size alternating {Perturbations.ShiftSmallBatch}/{Perturbations.ShiftLargeBatch} every step " +
            $"({Perturbations.ShiftStepFraction:0.##} of the other studies' {_plan.StudySteps} steps: about as many examples). Table 3 has the update magnitudes of the same runs.",
            [("", table)], [VerdictSentence($"final {MetricName} under the batch shift", outcomes)]);
    }

    /// <summary>The mean training loss over the last 10% of a run's steps.</summary>
    public static double FinalTrainLoss(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        int tail = Math.Max(1, run.Losses.Length / 10);
        return Statistics.Mean(run.Losses[^tail..]);
    }

    /// <summary>
    /// The inter-layer statistics of one run at training point <paramref name="point"/> (a fraction): the
    /// average over the run's snapshots within <see cref="PointHalfWindow"/> of it (the nearest snapshot when
    /// none falls inside), before or after shaping.
    /// </summary>
    public static InterLayerStatistics AtPoint(RunRecord run, double point, bool shaped)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Snapshots.Count == 0)
        {
            return new InterLayerStatistics(double.NaN, double.NaN);
        }

        double centre = point * run.Steps, half = PointHalfWindow * run.Steps;
        var inside = run.Snapshots.Where(s => Math.Abs(s.Step - centre) <= half).ToList();
        if (inside.Count == 0)
        {
            inside.Add(run.Snapshots.MinBy(s => Math.Abs(s.Step - centre))!);
        }

        return InterLayerStatistics.Average(inside.Select(s => (IReadOnlyList<double>)(shaped ? s.After : s.Before)));
    }

    private static (MeanStd Mean, MeanStd Variance) InterLayerOver(IReadOnlyList<RunRecord> runs, double point, bool shaped)
    {
        InterLayerStatistics[] each = [.. runs.Select(r => AtPoint(r, point, shaped))];
        return (Statistics.Summarize([.. each.Select(s => s.Mean)]), Statistics.Summarize([.. each.Select(s => s.Variance)]));
    }

    private IReadOnlyList<RunRecord> Shift(string method) => _data.Runs(method, _plan.ShiftSteps, batchShift: true);

    private static MeanStd[] IntervalStats(IReadOnlyList<RunRecord> runs)
    {
        var perRun = runs.Select(r => IntervalSummary.Split(r.UpdateMagnitudes, IntervalNames.Length)).ToList();
        var result = new MeanStd[2 * IntervalNames.Length];
        for (int i = 0; i < IntervalNames.Length; i++)
        {
            result[2 * i] = Statistics.Summarize([.. perRun.Select(s => s[i].Std)]);
            result[(2 * i) + 1] = Statistics.Summarize([.. perRun.Select(s => s[i].Max)]);
        }

        return result;
    }

    private MeanStd PeakOnSpikes(IReadOnlyList<RunRecord> runs) => Statistics.Summarize([.. runs.Select(r =>
    {
        // The spike steps of a seed are the same whether or not the run was spiked.
        SpikeSchedule schedule = SpikeSchedule.Create(r.Steps, Perturbations.SpikeRate, Perturbations.SpikeFactor, r.Seed);
        return Statistics.Max([.. schedule.Steps.Select(s => r.UpdateMagnitudes[s - 1])]);
    })]);

    private (MeanStd Steps, int Reached, int Seeds) StepsOf(string method) =>
        StepsToThreshold.Summarize([.. _data.Main(method).Select(r => StepsToThreshold.First(r.Evaluations.Select(e => (e.Step, e.Metric)), _threshold, HigherIsBetter))]);

    private static MeanStd MetricOf(IReadOnlyList<RunRecord> runs) => ReportData.Over(runs, r => r.FinalMetric);

    private string FormatMetric(MeanStd metric) =>
        _task.Metric == TaskMetric.Accuracy
            ? new MeanStd(metric.Mean * 100, metric.Std * 100, metric.Count).ToString("F2") + (metric.Count > 0 ? " %" : "")
            : metric.ToString("F2");

    private string FormatMetricDelta(double delta) =>
        !double.IsFinite(delta) ? ""
        : _task.Metric == TaskMetric.Accuracy ? string.Create(CultureInfo.InvariantCulture, $"{delta * 100:+0.00;-0.00;0.00} pp")
        : string.Create(CultureInfo.InvariantCulture, $"{delta:+0.00;-0.00;0.00}");

    private string FormatThreshold() =>
        _task.Metric == TaskMetric.Accuracy ? string.Create(CultureInfo.InvariantCulture, $"{_threshold * 100:0.##}%") : _threshold.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:0.#}%");

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Fixed(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "";

    private const string NoComparison = "No comparison: SPAMP or the other methods have no finished runs here.";

    /// <summary>"On MEASURE, SPAMP won against a, b; tied with c; lost to d."</summary>
    private static string VerdictSentence(string measure, IReadOnlyList<(string Other, Outcome Outcome)> outcomes)
    {
        if (outcomes.Count == 0)
        {
            return NoComparison;
        }

        var parts = new List<string>();
        foreach (var (outcome, phrase) in (ReadOnlySpan<(Outcome, string)>)[(Outcome.Won, "won against"), (Outcome.Tied, "tied with"), (Outcome.Lost, "lost to")])
        {
            string[] names = [.. outcomes.Where(o => o.Outcome == outcome).Select(o => o.Other)];
            if (names.Length > 0)
            {
                parts.Add($"{phrase} {string.Join(", ", names)}");
            }
        }

        return $"On {measure}, SPAMP {string.Join("; ", parts)}.";
    }
}
