namespace Spamp.Examples;

/// <summary>How progress is shown while training.</summary>
public enum ProgressMode
{
    /// <summary>A live bar on an interactive terminal; plain periodic lines when output is redirected (CI, pipes).</summary>
    Auto,

    /// <summary>Always the live Spectre.Console bar.</summary>
    Bar,

    /// <summary>Always plain lines, every <see cref="TrainerOptions.LogEvery"/> steps.</summary>
    Lines,

    /// <summary>Nothing (tests).</summary>
    None,
}

/// <summary>Everything that shapes a <see cref="Trainer"/> run except the model, optimizer and data.</summary>
public sealed record TrainerOptions
{
    /// <summary>Passes over the training set (ignored when <see cref="MaxSteps"/> is set).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>A step budget instead of whole epochs; null = <see cref="Epochs"/> epochs.</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Examples per optimizer step. Incomplete last batches are dropped, so every step sees the same count.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Examples per forward pass during evaluation (no gradients are kept, so this can be large).</summary>
    public int EvalBatchSize { get; init; } = 500;

    /// <summary>Seed of the data order (the model's initial values are the caller's business).</summary>
    public ulong Seed { get; init; }

    /// <summary>Evaluate every this many steps; 0 = only at the end.</summary>
    public long EvalEvery { get; init; }

    /// <summary>Write a checkpoint every this many steps into <see cref="CheckpointDirectory"/>; 0 = never.</summary>
    public long CheckpointEvery { get; init; }

    /// <summary>Where checkpoints go, one sub-directory per step (<c>step-000100</c>).</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Write the optimizer's per-layer telemetry here: CSV when the name ends in .csv, else JSON lines.</summary>
    public string? TelemetryPath { get; init; }

    /// <summary>How to show progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Steps between plain progress lines; 0 = about 20 lines per run.</summary>
    public long LogEvery { get; init; }

    /// <summary>Label for progress output (usually the method name).</summary>
    public string Name { get; init; } = "train";

    /// <summary>The number of optimizer steps of a run over <paramref name="trainCount"/> examples (full batches only).</summary>
    public long TotalSteps(int trainCount) => MaxSteps ?? ((long)Epochs * (trainCount / BatchSize));
}
