namespace Spamp.Examples.Reproduction;

/// <summary>The settings shared by every run of one reproduction (what is not in the <see cref="RunKey"/>).</summary>
/// <param name="BatchSize">Examples per step (batch-shift runs alternate instead).</param>
/// <param name="LearningRate">AdamW peak learning rate, cosine-decayed to zero over each run.</param>
/// <param name="WeightDecay">Decoupled weight decay.</param>
/// <param name="Evaluations">Evenly spaced evaluations per run, the last at the end (at least 1).</param>
public sealed record RunSettings(int BatchSize, double LearningRate, double WeightDecay, int Evaluations)
{
    /// <summary>Per-layer norm snapshots per run (evenly spaced).</summary>
    public const int Snapshots = 100;
}
