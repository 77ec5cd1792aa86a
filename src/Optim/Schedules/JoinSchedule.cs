namespace Spamp.Optim;

/// <summary>
/// Schedules one after another (PyTorch's <c>SequentialLR</c>, optax's <c>join_schedules</c>):
/// with boundaries b_1 &lt; ... &lt; b_{k-1}, schedule j runs on [b_j, b_{j+1}) and sees the step
/// counted from its own start, <c>factor(s) = schedule_j.Factor(s - b_j)</c> (b_0 = 0).
/// <code>new JoinSchedule([new LinearWarmup(100, WarmupStyle.PlusOne), new CosineAnnealing(900)], [100])</code>
/// </summary>
public sealed class JoinSchedule : LearningRateSchedule
{
    private readonly LearningRateSchedule[] _schedules;
    private readonly long[] _boundaries;

    /// <summary>Creates the joined schedule; needs one boundary fewer than schedules, strictly increasing and positive.</summary>
    public JoinSchedule(IReadOnlyList<LearningRateSchedule> schedules, IReadOnlyList<long> boundaries)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(boundaries);
        if (schedules.Count == 0 || boundaries.Count != schedules.Count - 1)
        {
            throw new ArgumentException($"JoinSchedule: expected {Math.Max(0, schedules.Count - 1)} boundaries for {schedules.Count} schedules, got {boundaries.Count}", nameof(boundaries));
        }

        for (int j = 0; j < boundaries.Count; j++)
        {
            if (boundaries[j] <= (j == 0 ? 0 : boundaries[j - 1]))
            {
                throw new ArgumentException($"JoinSchedule: boundaries must be positive and strictly increasing, got [{string.Join(", ", boundaries)}]", nameof(boundaries));
            }
        }

        _schedules = [.. schedules];
        _boundaries = [0, .. boundaries];
    }

    /// <summary>The schedules, in order.</summary>
    public IReadOnlyList<LearningRateSchedule> Schedules => _schedules;

    /// <inheritdoc/>
    public override double Factor(long completedSteps)
    {
        int j = _schedules.Length - 1;
        while (completedSteps < _boundaries[j])
        {
            j--;
        }

        return _schedules[j].Factor(completedSteps - _boundaries[j]);
    }
}
