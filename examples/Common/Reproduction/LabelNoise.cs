using Spamp.Data;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// Symmetric label noise (paper section 4.5): exactly <c>round(fraction * N)</c> training examples, chosen
/// uniformly by the seed, get a label drawn uniformly from the other classes, so every corrupted label is
/// wrong. The evaluation set stays clean: the study asks how well a method learns the true function from
/// corrupted supervision.
/// </summary>
public static class LabelNoise
{
    /// <summary>
    /// The labels with the noise applied (a new array; <paramref name="labels"/> is left alone) and the indices
    /// that were changed, ascending.
    /// </summary>
    public static (long[] Labels, long[] Changed) Corrupt(IReadOnlyList<long> labels, int classCount, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (!(fraction >= 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "label noise: the fraction must be in [0, 1]");
        }

        long[] result = [.. labels];
        int count = (int)Math.Round(fraction * labels.Count, MidpointRounding.AwayFromZero);
        long[] changed = SeededDraws.Subset(labels.Count, count, seed, SeededDraws.NoiseSelectionStream);
        foreach (long i in changed)
        {
            long label = result[i];
            if (label < 0 || label >= classCount)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"label noise: label {label} of example {i} is outside [0, {classCount})");
            }

            // Shift by 1..K-1: uniform over the K-1 wrong classes.
            int shift = 1 + SeededDraws.Below(seed, SeededDraws.NoiseLabelStream, (ulong)i, classCount - 1);
            result[i] = (label + shift) % classCount;
        }

        return (result, changed);
    }

    /// <summary>
    /// A data set with the same inputs as <paramref name="data"/> (shared, not copied) and noisy Int64 class
    /// targets. The caller disposes it; <paramref name="data"/> stays valid.
    /// </summary>
    public static TensorDataset Apply(TensorDataset data, int classCount, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Targets.Rank != 1 || data.Targets.DType != DType.Int64)
        {
            throw new ArgumentException($"label noise: needs Int64 class targets [N], got {data.Targets.DType.Name()} {data.Targets.Shape}", nameof(data));
        }

        (long[] labels, _) = Corrupt(data.Targets.ToArray<long>(), classCount, fraction, seed);

        // An alias holds its own reference to the input storage, so disposing either data set is safe.
        return new TensorDataset(data.Inputs.Alias(), Tensor.From(labels, labels.Length), data.PaddingMask?.Alias());
    }
}
