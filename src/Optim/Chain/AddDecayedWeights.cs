namespace Spamp.Optim;

/// <summary>
/// optax's <c>add_decayed_weights</c>: <c>u = u + wd * p</c> for every parameter. Placed after
/// <see cref="ScaleByAdam"/> and before <see cref="ScaleByLearningRate"/> it gives AdamW's
/// decoupled decay (p -= lr*wd*p). With no explicit weight decay, each parameter's group's
/// <see cref="ParameterGroup.WeightDecay"/> is used.
/// </summary>
public sealed class AddDecayedWeights : IGradientTransform
{
    /// <summary>Creates the transform (null: use each group's weight decay).</summary>
    public AddDecayedWeights(double? weightDecay = null)
    {
        if (weightDecay is double wd)
        {
            RuleValidation.NonNegative("add_decayed_weights", "weight decay", wd, nameof(weightDecay));
        }

        WeightDecay = weightDecay;
    }

    /// <inheritdoc/>
    public string Name => "add_decayed_weights";

    /// <summary>The decay coefficient, or null for the group's.</summary>
    public double? WeightDecay { get; }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            double wd = WeightDecay ?? state.Group.WeightDecay;
            if (wd == 0)
            {
                continue;
            }

            Tensor u = context.Gradient(i), p = state.Parameter.Data;
            context.Kernels(i).Axpy(u.Storage, p.Storage, u.Numel, wd);
            context.MarkModified(i);
        }
    }
}
