using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spamp.Data;
using Spamp.Layers;
using Spamp.Optim;
using Spectre.Console;

namespace Spamp.Examples;

/// <summary>One evaluation: after how many steps, the metric and the mean loss over the evaluation set.</summary>
public readonly record struct Evaluation(long Step, double Metric, double Loss);

/// <summary>What a <see cref="Trainer.Fit"/> run did.</summary>
public sealed class TrainingResult
{
    /// <summary>Optimizer steps taken in total (including those before a resume).</summary>
    public long Steps { get; init; }

    /// <summary>The training loss of every step run in this process, in order (index 0 = the first step run here).</summary>
    public required IReadOnlyList<double> Losses { get; init; }

    /// <summary>Every evaluation, the last one at the end of the run.</summary>
    public required IReadOnlyList<Evaluation> Evaluations { get; init; }

    /// <summary>Mean training loss over the last 10% of the steps run here (a less noisy "final loss" than one batch).</summary>
    public double FinalTrainLoss { get; init; }

    /// <summary>Mean of lr*||u|| over every (step, layer) in the telemetry (NaN when telemetry was off).</summary>
    public double MeanUpdateMagnitude { get; init; }

    /// <summary>Largest lr*||u|| of any layer at any step (NaN when telemetry was off).</summary>
    public double MaxUpdateMagnitude { get; init; }

    /// <summary>Time spent in this run (training and evaluation).</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>Training examples per second, evaluation excluded.</summary>
    public double SamplesPerSecond { get; init; }

    /// <summary>The final evaluation (default when there was no evaluation set).</summary>
    public Evaluation Final => Evaluations.Count > 0 ? Evaluations[^1] : default;
}

/// <summary>
/// A small, complete training loop: epochs or a step budget, periodic evaluation, checkpoints that
/// resume bit-exactly, a progress display and optimizer telemetry.
/// <code>
/// var trainer = new Trainer(model, optimizer, (logits, y) => lossModule.Forward(logits, y), options);
/// TrainingResult result = trainer.Fit(train, test);
/// </code>
/// </summary>
/// <remarks>
/// <para><b>Determinism.</b> The data order is a pure function of (<see cref="TrainerOptions.Seed"/>, epoch)
/// (see <see cref="DataLoader"/>), and the step at which a run stands fixes the epoch and the batch within
/// it, so nothing about the data needs saving. A checkpoint holds the model's state dict (parameters and
/// buffers, safetensors), the optimizer's state dict (<see cref="StateDictFile"/>) and the global random
/// generator's state (dropout draws from it), so a resumed run takes exactly the steps the uninterrupted
/// run would have taken.</para>
/// <para><b>Memory.</b> Each step runs inside a <see cref="TensorScope"/>: the activations, gradients of
/// intermediate values and the batch go back to the buffer pool when the step ends.</para>
/// </remarks>
public sealed class Trainer
{
    private readonly Module _model;
    private readonly Optimizer _optimizer;
    private readonly Func<Variable, Tensor, Variable> _loss;
    private readonly IMetric _metric;
    private long _startStep;

    /// <summary>Creates a trainer. The trainer does not own the model or the optimizer.</summary>
    /// <param name="model">The model; its forward takes a batch of inputs.</param>
    /// <param name="optimizer">The optimizer over the model's parameters (schedule already set).</param>
    /// <param name="loss">The training loss of (model output, targets), a scalar.</param>
    /// <param name="options">Run length, evaluation, checkpoints, telemetry, progress.</param>
    /// <param name="metric">Evaluation metric; default <see cref="Accuracy"/>.</param>
    public Trainer(Module model, Optimizer optimizer, Func<Variable, Tensor, Variable> loss, TrainerOptions options, IMetric? metric = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _metric = metric ?? new Accuracy();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        if (options.CheckpointEvery > 0 && options.CheckpointDirectory is null)
        {
            throw new ArgumentException("trainer: CheckpointEvery needs a CheckpointDirectory", nameof(options));
        }
    }

    /// <summary>The options of this run.</summary>
    public TrainerOptions Options { get; }

    /// <summary>
    /// Restores the model, the optimizer and the random generator from a checkpoint directory written by
    /// this trainer; the next <see cref="Fit"/> continues from the step it was taken at.
    /// </summary>
    public void Resume(string checkpointDirectory)
    {
        ArgumentNullException.ThrowIfNull(checkpointDirectory);
        _model.LoadSafeTensors(Path.Combine(checkpointDirectory, "model.safetensors"));
        StateDict state = StateDictFile.Load(Path.Combine(checkpointDirectory, "optimizer"));
        try
        {
            _optimizer.LoadStateDict(state);
        }
        finally
        {
            foreach (object value in state.Values)
            {
                (value as Tensor)?.Dispose();
            }
        }

        using JsonDocument trainer = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(checkpointDirectory, "trainer.json")));
        JsonElement root = trainer.RootElement;
        _startStep = root.GetProperty("step").GetInt64();
        Generator.Default.SetState(new GeneratorState(
            ulong.Parse(root.GetProperty("generator_seed").GetString()!, CultureInfo.InvariantCulture),
            ulong.Parse(root.GetProperty("generator_offset").GetString()!, CultureInfo.InvariantCulture)));
    }

    /// <summary>Writes a checkpoint of the current state (after <paramref name="step"/> steps) and returns its directory.</summary>
    public string SaveCheckpoint(long step)
    {
        string directory = Path.Combine(Options.CheckpointDirectory ?? throw new InvalidOperationException("trainer: no CheckpointDirectory set"),
            $"step-{step:D6}");
        Directory.CreateDirectory(directory);
        _model.SaveSafeTensors(Path.Combine(directory, "model.safetensors"));
        StateDict state = _optimizer.StateDict();
        try
        {
            StateDictFile.Save(Path.Combine(directory, "optimizer"), state);
        }
        finally
        {
            foreach (object value in state.Values)
            {
                (value as Tensor)?.Dispose();
            }
        }

        GeneratorState random = Generator.Default.GetState();
        using var stream = File.Create(Path.Combine(directory, "trainer.json"));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("step", step);

        // ulongs as strings: JSON readers in other languages lose precision above 2^53.
        json.WriteString("generator_seed", random.Seed.ToString(CultureInfo.InvariantCulture));
        json.WriteString("generator_offset", random.Offset.ToString(CultureInfo.InvariantCulture));
        json.WriteEndObject();
        return directory;
    }

    /// <summary>
    /// Trains on <paramref name="train"/> until the step budget or the epochs are done, evaluating on
    /// <paramref name="evaluation"/> (when given) every <see cref="TrainerOptions.EvalEvery"/> steps and at the end.
    /// </summary>
    public TrainingResult Fit(TensorDataset train, TensorDataset? evaluation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var loader = new DataLoader(train, Options.BatchSize, shuffle: true, seed: Options.Seed, dropLast: true);
        if (loader.BatchCount == 0)
        {
            throw new ArgumentException($"trainer: {train.Count} training examples make no batch of {Options.BatchSize}", nameof(train));
        }

        long total = Options.TotalSteps(train.Count);
        var run = new Run(this, loader, evaluation, total);
        ProgressMode mode = Options.Progress;
        if (mode == ProgressMode.Auto)
        {
            mode = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive ? ProgressMode.Bar : ProgressMode.Lines;
        }

        if (mode == ProgressMode.Bar)
        {
            Progress bar = AnsiConsole.Progress();
            bar.AutoClear = false;
            bar.Columns(new TaskDescriptionColumn { Alignment = Justify.Left },
                    new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
               .Start(context => run.Execute(new BarProgress(context.AddTask(Options.Name, maxValue: total - _startStep))));
        }
        else
        {
            run.Execute(mode == ProgressMode.Lines ? new LineProgress(Options, total) : null);
        }

        return run.Result!;
    }

    /// <summary>Mean metric and loss over <paramref name="data"/>, in evaluation mode and without gradients.</summary>
    public Evaluation Evaluate(TensorDataset data, long step)
    {
        ArgumentNullException.ThrowIfNull(data);
        var loader = new DataLoader(data, Options.EvalBatchSize);
        double metric = 0, loss = 0;
        _model.Eval();
        try
        {
            using IDisposable noGrad = Autograd.NoGrad();
            foreach (Batch batch in loader.Epoch(0))
            {
                using var scope = TensorScope.Begin();
                using (batch)
                {
                    Variable output = _model.Forward(new Variable(batch.Inputs));
                    metric += _metric.BatchSum(output.Data, batch.Targets);
                    loss += _loss(output, batch.Targets).Data.ItemAsDouble() * batch.Count;
                }
            }
        }
        finally
        {
            _model.Train();
        }

        return new Evaluation(step, metric / data.Count, loss / data.Count);
    }

    /// <summary>The state of one <see cref="Fit"/> call, so the loop can run inside or outside a progress display.</summary>
    private sealed class Run(Trainer trainer, DataLoader loader, TensorDataset? evaluation, long total)
    {
        public TrainingResult? Result { get; private set; }

        public void Execute(IProgress? progress)
        {
            TrainerOptions options = trainer.Options;
            Optimizer optimizer = trainer._optimizer;
            var losses = new List<double>();
            var evaluations = new List<Evaluation>();
            double updateSum = 0, updateMax = double.NaN;
            long updateCount = 0;

            // Telemetry costs a few norms per layer and step; the comparison table needs it anyway.
            optimizer.Telemetry = true;
            using TextWriter? telemetryFile = options.TelemetryPath is null ? null : new StreamWriter(options.TelemetryPath);
            Action<StepReport?>? writeTelemetry = telemetryFile is null ? null
                : options.TelemetryPath!.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? new StepReportCsvWriter(telemetryFile).Write
                : new StepReportJsonLinesWriter(telemetryFile).Write;

            var clock = Stopwatch.StartNew();
            var trainClock = new Stopwatch();
            long step = trainer._startStep;
            int perEpoch = loader.BatchCount;
            while (step < total)
            {
                // The step fixes the epoch and the position in it: a resumed run replays the epoch's
                // order and skips the batches already seen.
                int epoch = (int)(step / perEpoch);
                int skip = (int)(step % perEpoch);
                foreach (Batch batch in loader.Epoch(epoch))
                {
                    using (batch)
                    {
                        if (batch.Index < skip)
                        {
                            continue;
                        }

                        trainClock.Start();
                        double loss;
                        using (var scope = TensorScope.Begin())
                        {
                            Variable output = trainer._model.Forward(new Variable(batch.Inputs));
                            Variable lossValue = trainer._loss(output, batch.Targets);
                            optimizer.ZeroGrad();
                            lossValue.Backward();
                            StepReport? report = optimizer.Step();
                            loss = lossValue.Data.ItemAsDouble();
                            writeTelemetry?.Invoke(report);
                            foreach (LayerReport layer in report?.Layers ?? [])
                            {
                                updateSum += layer.UpdateMagnitude;
                                updateCount++;
                                updateMax = double.IsNaN(updateMax) ? layer.UpdateMagnitude : Math.Max(updateMax, layer.UpdateMagnitude);
                            }
                        }

                        trainClock.Stop();
                        losses.Add(loss);
                        step++;
                    }

                    if (evaluation is not null && options.EvalEvery > 0 && step % options.EvalEvery == 0 && step < total)
                    {
                        evaluations.Add(trainer.Evaluate(evaluation, step));
                    }

                    if (options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0)
                    {
                        trainer.SaveCheckpoint(step);
                    }

                    double samplesPerSecond = losses.Count * options.BatchSize / Math.Max(trainClock.Elapsed.TotalSeconds, 1e-9);
                    progress?.Report(step, losses[^1], evaluations.Count > 0 ? evaluations[^1].Metric : null, samplesPerSecond,
                        TimeSpan.FromSeconds((total - step) * options.BatchSize / Math.Max(samplesPerSecond, 1e-9)));
                    if (step >= total)
                    {
                        break;
                    }
                }
            }

            if (evaluation is not null)
            {
                evaluations.Add(trainer.Evaluate(evaluation, step));
                progress?.Report(step, losses.Count > 0 ? losses[^1] : double.NaN, evaluations[^1].Metric, 0, TimeSpan.Zero);
            }

            int tail = Math.Max(1, losses.Count / 10);
            Result = new TrainingResult
            {
                Steps = step,
                Losses = losses,
                Evaluations = evaluations,
                FinalTrainLoss = losses.Count == 0 ? double.NaN : losses.Skip(losses.Count - tail).Average(),
                MeanUpdateMagnitude = updateCount == 0 ? double.NaN : updateSum / updateCount,
                MaxUpdateMagnitude = updateMax,
                WallTime = clock.Elapsed,
                SamplesPerSecond = losses.Count * options.BatchSize / Math.Max(trainClock.Elapsed.TotalSeconds, 1e-9),
            };
        }
    }

    private interface IProgress
    {
        void Report(long step, double loss, double? metric, double samplesPerSecond, TimeSpan eta);
    }

    /// <summary>The live bar: loss, metric and throughput in the description, Spectre draws percentage and ETA.</summary>
    private sealed class BarProgress(ProgressTask task) : IProgress
    {
        private readonly string _name = task.Description;

        public void Report(long step, double loss, double? metric, double samplesPerSecond, TimeSpan eta)
        {
            task.Description = Markup.Escape(Describe(_name, loss, metric, samplesPerSecond));
            task.Increment(1);
        }
    }

    /// <summary>Plain lines for logs and pipes, every <see cref="TrainerOptions.LogEvery"/> steps and at the end.</summary>
    private sealed class LineProgress(TrainerOptions options, long total) : IProgress
    {
        private readonly long _every = options.LogEvery > 0 ? options.LogEvery : Math.Max(1, total / 20);

        public void Report(long step, double loss, double? metric, double samplesPerSecond, TimeSpan eta)
        {
            if (step % _every == 0 || step == total)
            {
                Console.WriteLine($"[{options.Name}] step {step}/{total} {Describe("", loss, metric, samplesPerSecond)}" +
                    (samplesPerSecond > 0 ? $" eta {eta:mm\\:ss}" : ""));
            }
        }
    }

    private static string Describe(string name, double loss, double? metric, double samplesPerSecond) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{name}{(name.Length > 0 ? " " : "")}loss {loss:F4}{(metric is double m ? $" acc {m:P1}" : "")}{(samplesPerSecond > 0 ? $" {samplesPerSecond:F0} samples/s" : "")}");
}
