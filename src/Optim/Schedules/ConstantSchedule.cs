namespace Spamp.Optim;

/// <summary>A constant factor: <c>factor(s) = value</c> (1 by default: the base learning rate throughout).</summary>
public sealed class ConstantSchedule(double value = 1.0) : LearningRateSchedule
{
    /// <summary>The factor.</summary>
    public double Value { get; } = value;

    /// <inheritdoc/>
    public override double Factor(long completedSteps) => Value;
}
