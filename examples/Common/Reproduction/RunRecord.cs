namespace Spamp.Examples.Reproduction;

/// <summary>One evaluation during a run.</summary>
/// <param name="Step">Steps taken when it was made.</param>
/// <param name="Metric">The task's metric (accuracy fraction or perplexity).</param>
/// <param name="Loss">Mean evaluation loss.</param>
public sealed record EvaluationPoint(long Step, double Metric, double Loss);

/// <summary>The per-layer gradient norms of one step, before and after the optimizer's shaping.</summary>
/// <param name="Step">The step (1-based).</param>
/// <param name="Before">||g_l|| as backward produced it, one per layer (<see cref="RunRecord.LayerNames"/> order).</param>
/// <param name="After">||g~_l||, what the update rule consumed.</param>
public sealed record LayerSnapshot(long Step, double[] Before, double[] After);

/// <summary>
/// Everything the report needs from one finished run, one JSON line of runs.jsonl. Per-step series are
/// kept whole (a few numbers a step); per-layer norms only at <see cref="LayerSnapshot"/>s, about a hundred
/// per run, which keeps a GPT's file small.
/// </summary>
public sealed record RunRecord
{
    /// <summary><see cref="Reproduction.RunKey.Id"/> of the run.</summary>
    public required string Key { get; init; }

    /// <summary>The task and the settings that shaped the run (a changed setting means a different run).</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The optimizer name.</summary>
    public required string Optimizer { get; init; }

    /// <summary>The seed.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Steps taken.</summary>
    public required long Steps { get; init; }

    /// <summary>Fraction of corrupted training labels.</summary>
    public double LabelNoise { get; init; }

    /// <summary>Whether loss spikes were injected.</summary>
    public bool Spikes { get; init; }

    /// <summary>Whether the batch size alternated.</summary>
    public bool BatchShift { get; init; }

    /// <summary>Seconds the run took, evaluations included.</summary>
    public double WallSeconds { get; init; }

    /// <summary>True when the training loss became non-finite (the run continued; the optimizer skips such steps).</summary>
    public bool Diverged { get; init; }

    /// <summary>Optimizer steps skipped for non-finite gradients.</summary>
    public long SkippedSteps { get; init; }

    /// <summary>The metric of the final evaluation.</summary>
    public double FinalMetric { get; init; }

    /// <summary>The evaluation loss of the final evaluation.</summary>
    public double FinalLoss { get; init; }

    /// <summary>Every evaluation, the final one last.</summary>
    public required IReadOnlyList<EvaluationPoint> Evaluations { get; init; }

    /// <summary>Training loss of every step (unscaled on spiked steps).</summary>
    public required double[] Losses { get; init; }

    /// <summary>lr*||g~|| of every step over the whole model: the root of the sum of the per-layer lr*||g~_l|| squared.</summary>
    public required double[] UpdateMagnitudes { get; init; }

    /// <summary>The global gradient norm of every step before shaping.</summary>
    public required double[] NormsBefore { get; init; }

    /// <summary>The global gradient norm of every step after shaping.</summary>
    public required double[] NormsAfter { get; init; }

    /// <summary>The optimizer's layer names (one per parameter tensor).</summary>
    public required string[] LayerNames { get; init; }

    /// <summary>Per-layer norms at evenly spaced steps.</summary>
    public required IReadOnlyList<LayerSnapshot> Snapshots { get; init; }
}
