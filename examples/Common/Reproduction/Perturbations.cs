namespace Spamp.Examples.Reproduction;

/// <summary>The perturbation studies' fixed settings (paper section 4.5), in one place so the report can quote them.</summary>
public static class Perturbations
{
    /// <summary>The label-noise levels; 0 is the clean main run.</summary>
    public static IReadOnlyList<double> NoiseLevels { get; } = [0, 0.1, 0.2, 0.4];

    /// <summary>Fraction of steps that get a gradient spike.</summary>
    public const double SpikeRate = 0.02;

    /// <summary>How much a spiked step's loss, and so its gradients, is scaled.</summary>
    public const double SpikeFactor = 5;

    /// <summary>The small batch size of the batch-shift study.</summary>
    public const int ShiftSmallBatch = 16;

    /// <summary>The large batch size of the batch-shift study.</summary>
    public const int ShiftLargeBatch = 512;

    /// <summary>Steps between batch-size switches (1: every step switches).</summary>
    public const int ShiftPeriod = 1;

    /// <summary>
    /// The batch-shift runs take this fraction of the other runs' steps: their mean batch, (16 + 512)/2 = 264,
    /// is about four times the usual 64, so a quarter of the steps sees about as many examples and costs
    /// about as much time.
    /// </summary>
    public const double ShiftStepFraction = 0.25;

    /// <summary>
    /// The batch-size schedule of the batch-shift study over <paramref name="trainCount"/> examples: the large
    /// batch is capped at the training set (which only a test-sized task is smaller than).
    /// </summary>
    public static BatchSizeSchedule ShiftSchedule(int trainCount) =>
        BatchSizeSchedule.Alternating(Math.Min(ShiftSmallBatch, trainCount), Math.Min(ShiftLargeBatch, trainCount), ShiftPeriod);

    /// <summary>The perturbations in words, for the report.</summary>
    public static string Describe() =>
        $"label noise: {string.Join("/", NoiseLevels.Select(n => $"{n * 100:0}%"))} of the training labels replaced by a uniformly drawn wrong class (seeded, evaluation labels clean); " +
        $"gradient spikes: on {SpikeRate * 100:0}% of the steps (seeded schedule) the loss is multiplied by {SpikeFactor} before backward, so all that step's gradients are {SpikeFactor}x; " +
        $"batch shift: the batch size alternates {ShiftSmallBatch}/{ShiftLargeBatch} every {(ShiftPeriod == 1 ? "step" : $"{ShiftPeriod} steps")}, for {ShiftStepFraction:0.##} of the usual steps (about the same number of examples).";
}
