namespace Spamp.Optim;

/// <summary>
/// A learning-rate schedule as a plain function of the step: the optimizer's step number t
/// (1-based) uses <c>lr = base_lr * Factor(t - 1)</c>, i.e. the factor at the number of completed
/// steps, which is PyTorch's and Hugging Face's stepping contract (ALGORITHMS.md section 3).
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The multiplier of the base learning rate after <paramref name="completedSteps"/> steps.</summary>
    public abstract double Factor(long completedSteps);
}
