namespace Spamp.Optim;

/// <summary>
/// optax's <c>scale_by_learning_rate</c>: <c>u = -lr * u</c> with each group's learning rate for
/// this step (<see cref="StepContext.LearningRate"/>: base lr x schedule x lr scaling). It turns a
/// direction into an update; an optimizer without a rule then applies <c>p += u</c>.
/// </summary>
public sealed class ScaleByLearningRate : IGradientTransform
{
    /// <inheritdoc/>
    public string Name => "scale_by_learning_rate";

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            // ScaleGradient keeps the cached norm exact (telemetry reads it as the update magnitude).
            context.ScaleGradient(i, -context.LearningRate(context.Parameters[i].Group));
        }
    }
}
