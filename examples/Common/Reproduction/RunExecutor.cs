using System.Diagnostics;
using Spamp.Data;
using Spamp.Examples.Tasks;
using Spamp.Layers;
using Spamp.Optim;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// Trains one run of the reproduction and records what the report needs. The loop is the Trainer's
/// (forward, loss, backward, optimizer step, one <see cref="TensorScope"/> per step) with the three things
/// the studies add: a batch size that may change every step, a loss that may be scaled on spike steps, and
/// per-step telemetry kept in memory. Every method of a seed starts from the same weights
/// (<see cref="TrainingTask.BuildModel"/>) and sees the same batches (<see cref="BatchStream"/>), the same
/// corrupted labels and the same spikes, so runs differ in the optimizer alone.
/// </summary>
public static class RunExecutor
{
    /// <summary>Runs <paramref name="key"/> on <paramref name="task"/>.</summary>
    /// <param name="task">The task (its data is only read).</param>
    /// <param name="key">Optimizer, seed, length and perturbations.</param>
    /// <param name="settings">Batch size, learning rate, weight decay, evaluations.</param>
    /// <param name="fingerprint">Stored in the record, so a later reproduction with other settings does not reuse it.</param>
    public static RunRecord Execute(TrainingTask task, RunKey key, RunSettings settings, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(settings);
        if (key.LabelNoise > 0 && task.ClassCount == 0)
        {
            throw new ArgumentException($"{task.Name}: label noise needs a classification task", nameof(key));
        }

        var clock = Stopwatch.StartNew();
        long total = key.Steps;
        using Module model = task.BuildModel(key.Seed);
        Optimizer optimizer = OptimizerVariants.Create(key.Optimizer, model.Parameters(), settings.LearningRate, settings.WeightDecay, total);
        optimizer.Telemetry = true;
        using TensorDataset? noisy = key.LabelNoise > 0 ? LabelNoise.Apply(task.Train, task.ClassCount, key.LabelNoise, key.Seed) : null;
        var stream = new BatchStream(noisy ?? task.Train, key.Seed);
        BatchSizeSchedule batchSizes = key.BatchShift ? Perturbations.ShiftSchedule(task.Train.Count) : BatchSizeSchedule.Constant(settings.BatchSize);
        SpikeSchedule spikes = key.Spikes ? SpikeSchedule.Create(total, Perturbations.SpikeRate, Perturbations.SpikeFactor, key.Seed) : SpikeSchedule.None;

        var losses = new double[total];
        var updates = new double[total];
        var before = new double[total];
        var after = new double[total];
        var snapshots = new List<LayerSnapshot>();
        var evaluations = new List<EvaluationPoint>();
        string[] layerNames = [];
        long snapshotEvery = Math.Max(1, total / RunSettings.Snapshots);
        int evaluationCount = (int)Math.Min(Math.Max(1, settings.Evaluations), total);
        for (long step = 1; step <= total; step++)
        {
            using (var scope = TensorScope.Begin())
            using (Batch batch = stream.Next(batchSizes.SizeAt(step)))
            {
                Variable loss = task.Loss(task.Forward(model, batch), batch.Targets);
                double scale = spikes.LossScale(step);
                Variable objective = scale == 1 ? loss : loss * scale;
                optimizer.ZeroGrad();
                objective.Backward();
                StepReport report = optimizer.Step() ?? throw new InvalidOperationException("optimizer: telemetry is on but the step made no report");
                losses[step - 1] = loss.Data.ItemAsDouble();
                before[step - 1] = report.GlobalNormBefore;
                after[step - 1] = report.GlobalNormAfter;
                double squared = 0;
                foreach (LayerReport layer in report.Layers)
                {
                    squared += layer.UpdateMagnitude * layer.UpdateMagnitude;
                }

                updates[step - 1] = report.Skipped ? 0 : Math.Sqrt(squared);
                if (layerNames.Length == 0)
                {
                    layerNames = [.. report.Layers.Select(l => l.Layer)];
                }

                if (step % snapshotEvery == 0)
                {
                    snapshots.Add(new LayerSnapshot(step, [.. report.Layers.Select(l => l.NormBefore)], [.. report.Layers.Select(l => l.NormAfter)]));
                }
            }

            // Evaluations at k*total/E for k = 1..E, so the last one is the final result.
            if (step * evaluationCount / total != (step - 1) * evaluationCount / total)
            {
                var (metric, loss) = task.Evaluate(model);
                evaluations.Add(new EvaluationPoint(step, metric, loss));
            }
        }

        return new RunRecord
        {
            Key = key.Id,
            Fingerprint = fingerprint,
            Optimizer = key.Optimizer,
            Seed = key.Seed,
            Steps = total,
            LabelNoise = key.LabelNoise,
            Spikes = key.Spikes,
            BatchShift = key.BatchShift,
            WallSeconds = clock.Elapsed.TotalSeconds,
            Diverged = losses.Any(l => !double.IsFinite(l)),
            SkippedSteps = optimizer.SkippedSteps,
            FinalMetric = evaluations[^1].Metric,
            FinalLoss = evaluations[^1].Loss,
            Evaluations = evaluations,
            Losses = losses,
            UpdateMagnitudes = updates,
            NormsBefore = before,
            NormsAfter = after,
            LayerNames = layerNames,
            Snapshots = snapshots,
        };
    }
}
