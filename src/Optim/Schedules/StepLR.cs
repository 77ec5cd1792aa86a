namespace Spamp.Optim;

/// <summary>PyTorch's <c>StepLR</c>: <c>factor(s) = gamma ^ floor(s / stepSize)</c> (defaults: gamma 0.1).</summary>
public sealed class StepLR : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public StepLR(long stepSize, double gamma = 0.1)
    {
        if (stepSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"StepLR: step size must be >= 1, got {stepSize}");
        }

        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Steps between decays.</summary>
    public long StepSize { get; }

    /// <summary>The decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override double Factor(long completedSteps) => Math.Pow(Gamma, completedSteps / StepSize);
}
