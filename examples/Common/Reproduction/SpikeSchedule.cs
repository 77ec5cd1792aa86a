namespace Spamp.Examples.Reproduction;

/// <summary>
/// The gradient-spike perturbation (paper section 4.5): on a fixed, seeded set of steps the loss is
/// multiplied by <see cref="Factor"/> before backward, so every gradient of that step is
/// <see cref="Factor"/> times larger (backward is linear in the loss). Scaling the loss rather than the
/// gradients keeps the perturbation outside the optimizer: the shaping under test sees the spike exactly
/// as it would see a bad batch. The training loss the run records is the unscaled one.
/// </summary>
public sealed class SpikeSchedule
{
    private readonly HashSet<long> _steps;

    private SpikeSchedule(IEnumerable<long> steps, double factor)
    {
        _steps = [.. steps];
        Factor = factor;
    }

    /// <summary>No spikes.</summary>
    public static SpikeSchedule None { get; } = new([], 1);

    /// <summary>How much a spiked step's loss (and so its gradients) is scaled.</summary>
    public double Factor { get; }

    /// <summary>The spiked steps (1-based), ascending.</summary>
    public IReadOnlyList<long> Steps => [.. _steps.Order()];

    /// <summary>
    /// Exactly <c>round(rate * totalSteps)</c> distinct steps of 1..<paramref name="totalSteps"/> (at least one
    /// when the rate is positive), chosen uniformly by <paramref name="seed"/>: the same run gets the same
    /// spikes whatever the method, so methods are compared on identical perturbations.
    /// </summary>
    public static SpikeSchedule Create(long totalSteps, double rate, double factor, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(totalSteps, int.MaxValue);
        if (!(rate >= 0 && rate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "spikes: the rate must be in [0, 1]");
        }

        int count = rate == 0 ? 0 : Math.Max(1, (int)Math.Round(rate * totalSteps, MidpointRounding.AwayFromZero));
        return new SpikeSchedule(SeededDraws.Subset((int)totalSteps, count, seed, SeededDraws.SpikeStream).Select(s => s + 1), factor);
    }

    /// <summary>The loss multiplier of step <paramref name="step"/> (1-based): <see cref="Factor"/> on a spike, else 1.</summary>
    public double LossScale(long step) => _steps.Contains(step) ? Factor : 1.0;
}
