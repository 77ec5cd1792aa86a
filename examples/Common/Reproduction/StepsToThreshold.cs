namespace Spamp.Examples.Reproduction;

/// <summary>How fast a method reaches a target: the step of its first evaluation at or past a threshold.</summary>
public static class StepsToThreshold
{
    /// <summary>
    /// The step of the first evaluation in <paramref name="evaluations"/> (in step order) whose metric reaches
    /// <paramref name="threshold"/>: at or above it when <paramref name="higherIsBetter"/> (accuracy), at or
    /// below it otherwise (perplexity, loss). Null when no evaluation reaches it. The answer can be no finer
    /// than the evaluation interval.
    /// </summary>
    public static long? First(IEnumerable<(long Step, double Metric)> evaluations, double threshold, bool higherIsBetter)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        foreach (var (step, metric) in evaluations.OrderBy(e => e.Step))
        {
            if (higherIsBetter ? metric >= threshold : metric <= threshold)
            {
                return step;
            }
        }

        return null;
    }

    /// <summary>
    /// Over seeds: the mean and spread of the steps of the seeds that reached the threshold, and how many did
    /// (seeds that never reached it are not averaged in as some made-up number; the count tells).
    /// </summary>
    public static (MeanStd Steps, int Reached, int Seeds) Summarize(IReadOnlyList<long?> perSeed)
    {
        ArgumentNullException.ThrowIfNull(perSeed);
        double[] reached = [.. perSeed.Where(s => s.HasValue).Select(s => (double)s!.Value)];
        return (Statistics.Summarize(reached), reached.Length, perSeed.Count);
    }

    /// <summary>
    /// SPAMP against another method: reaching the threshold on more seeds wins; with as many seeds, fewer mean
    /// steps win under <see cref="Verdict"/>'s rule; when neither reached it, they tie.
    /// </summary>
    public static Outcome Compare((MeanStd Steps, int Reached) spamp, (MeanStd Steps, int Reached) other)
    {
        if (spamp.Reached != other.Reached)
        {
            return spamp.Reached > other.Reached ? Outcome.Won : Outcome.Lost;
        }

        return spamp.Reached == 0 ? Outcome.Tied : Verdict.Compare(spamp.Steps, other.Steps, higherIsBetter: false);
    }
}
