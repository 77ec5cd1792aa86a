using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Spamp.Examples.Tasks;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// Runs a reproduction: plans the runs, trains those runs.jsonl does not already hold (appending each as it
/// finishes and printing one line per run), then writes the report.
/// </summary>
public static class Harness
{
    /// <summary>The run log's file name inside the output folder.</summary>
    public const string RunsFile = "runs.jsonl";

    /// <summary>Runs the reproduction of <paramref name="options"/> on <paramref name="task"/>, printing progress to <paramref name="log"/>; returns the summary's path.</summary>
    public static string Run(TrainingTask task, ReproductionOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        foreach (string name in options.Methods.Concat(options.EffectiveStudyMethods))
        {
            if (!OptimizerVariants.IsKnown(name))
            {
                throw new ArgumentException($"unknown method '{name}'; valid methods: {string.Join(", ", MethodFactory.Names)}", nameof(options));
            }
        }

        var clock = Stopwatch.StartNew();
        TaskDefaults defaults = task.Defaults;
        var settings = new RunSettings(options.BatchSize ?? defaults.BatchSize, options.LearningRate ?? defaults.LearningRate,
            options.WeightDecay ?? defaults.WeightDecay, options.Evaluations ?? defaults.Evaluations);
        double threshold = options.Threshold ?? defaults.Threshold;
        var plan = new ReproductionPlan(options, task);
        Directory.CreateDirectory(options.OutputDirectory);
        var runLog = new RunLog(Path.Combine(options.OutputDirectory, RunsFile));
        string fingerprint = Fingerprint(task, settings);
        var finished = new Dictionary<string, RunRecord>();
        foreach (RunRecord record in runLog.ReadAll().Where(r => r.Fingerprint == fingerprint))
        {
            finished[record.Key] = record;
        }

        int reused = plan.Runs.Count(k => finished.ContainsKey(k.Id));
        log.WriteLine(task.Description);
        log.WriteLine($"{plan.Runs.Count} runs planned ({reused} already in {runLog.Path}), writing to {options.OutputDirectory}");
        int trained = 0;
        double trainedSeconds = 0;
        for (int i = 0; i < plan.Runs.Count; i++)
        {
            RunKey key = plan.Runs[i];
            if (finished.ContainsKey(key.Id))
            {
                continue;
            }

            RunRecord record = RunExecutor.Execute(task, key, settings, fingerprint);
            runLog.Append(record);
            finished[key.Id] = record;
            trained++;
            trainedSeconds += record.WallSeconds;
            int left = plan.Runs.Skip(i + 1).Count(k => !finished.ContainsKey(k.Id));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{i + 1,3}/{plan.Runs.Count}] {key.Optimizer,-16} seed {key.Seed} {key.Perturbation,-16} {key.Steps,6} steps  " +
                $"{task.MetricName} {FormatMetric(task, record.FinalMetric)}  train loss {ReportTables.FinalTrainLoss(record):F4}  " +
                $"{record.WallSeconds,6:F1} s{(record.Diverged ? "  DIVERGED" : "")}  ~{TimeSpan.FromSeconds(trainedSeconds / trained * left):h\\:mm\\:ss} left"));
        }

        string summary = ReportWriter.Write(new ReportData(plan, finished.Values), task, settings, threshold, clock.Elapsed, trained);
        log.WriteLine($"report written to {summary} ({clock.Elapsed.TotalMinutes:F1} min)");
        return summary;
    }

    /// <summary>
    /// A short hash of everything outside the run key that changes a run's result (task, data, model,
    /// batch size, learning rate, weight decay, evaluations): records with another fingerprint are not reused.
    /// </summary>
    public static string Fingerprint(TrainingTask task, RunSettings settings)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{task.Name}|{task.Description}|batch={settings.BatchSize}|lr={settings.LearningRate:R}|wd={settings.WeightDecay:R}|evals={settings.Evaluations}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private static string FormatMetric(TrainingTask task, double metric) =>
        task.Metric == TaskMetric.Accuracy ? string.Create(CultureInfo.InvariantCulture, $"{metric * 100,6:F2}%") : string.Create(CultureInfo.InvariantCulture, $"{metric,8:F2}");
}
