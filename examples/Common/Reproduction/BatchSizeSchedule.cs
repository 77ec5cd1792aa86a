namespace Spamp.Examples.Reproduction;

/// <summary>
/// The batch size of each step. Constant for ordinary runs; for the batch-shift perturbation (paper
/// section 4.5, Table 3) it alternates between a small and a large size, so the gradient noise, and with
/// it the gradient norm, jumps by about sqrt(large/small) at every switch.
/// </summary>
public sealed class BatchSizeSchedule
{
    private BatchSizeSchedule(int small, int large, int period)
    {
        Small = small;
        Large = large;
        Period = period;
    }

    /// <summary>The batch size of the odd blocks (the first block included).</summary>
    public int Small { get; }

    /// <summary>The batch size of the even blocks (equal to <see cref="Small"/> for a constant schedule).</summary>
    public int Large { get; }

    /// <summary>Steps between switches.</summary>
    public int Period { get; }

    /// <summary>True when the size changes during the run.</summary>
    public bool Alternates => Small != Large;

    /// <summary>The largest batch of the run (what the data set must hold at least).</summary>
    public int MaxBatchSize => Math.Max(Small, Large);

    /// <summary>Every step takes <paramref name="batchSize"/> examples.</summary>
    public static BatchSizeSchedule Constant(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return new BatchSizeSchedule(batchSize, batchSize, 1);
    }

    /// <summary>
    /// <paramref name="period"/> steps of <paramref name="small"/>, then <paramref name="period"/> steps of
    /// <paramref name="large"/>, and so on (period 1: every step switches).
    /// </summary>
    public static BatchSizeSchedule Alternating(int small, int large, int period = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(small, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(large, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        return new BatchSizeSchedule(small, large, period);
    }

    /// <summary>The batch size of step <paramref name="step"/> (1-based).</summary>
    public int SizeAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        return ((step - 1) / Period) % 2 == 0 ? Small : Large;
    }

    /// <summary>The mean batch size over the first <paramref name="steps"/> steps (to match a constant run's number of examples).</summary>
    public double MeanSize(long steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        double sum = 0;
        for (long s = 1; s <= steps; s++)
        {
            sum += SizeAt(s);
        }

        return sum / steps;
    }
}
