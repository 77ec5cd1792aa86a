namespace Spamp.Examples.Tasks;

/// <summary>
/// The settings a task runs with unless the command line says otherwise, chosen so that the full
/// reproduction of a task fits in about half an hour on two CPU cores (see the README).
/// </summary>
public sealed record TaskDefaults
{
    /// <summary>Optimizer steps per run.</summary>
    public required long Steps { get; init; }

    /// <summary>Examples per step.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Peak learning rate of AdamW (cosine-decayed to zero over the run).</summary>
    public required double LearningRate { get; init; }

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>The target of the steps-to-threshold study, in the task's metric (an accuracy fraction or a perplexity).</summary>
    public required double Threshold { get; init; }

    /// <summary>Evaluations during a main run (evenly spaced, the last at the end): the resolution of steps-to-threshold.</summary>
    public int Evaluations { get; init; } = 10;

    /// <summary>Examples per evaluation forward pass.</summary>
    public int EvalBatchSize { get; init; } = 500;
}
