using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// Lion (EvoLved Sign Momentum; Chen et al. 2023), fused into one pass per parameter. With the
/// group's scheduled lr and weight decay wd:
/// <code>
/// p = p * (1 - lr*wd)
/// c = beta1*m + (1-beta1)*g
/// p = p - lr*sign(c)                 sign(0) = 0: every coordinate moves by exactly lr or not at all
/// m = beta2*m + (1-beta2)*g          after the update, with beta2
/// </code>
/// No bias correction, no eps. The momentum lives in <see cref="ParameterState"/> as <c>exp_avg</c>.
/// A NaN gradient leaves its coordinate of p unmoved (sign(NaN) = 0) but poisons m: use the
/// optimizer's non-finite policy.
/// </summary>
public sealed class LionRule : IUpdateRule
{
    /// <summary>Creates the rule; throws <see cref="ArgumentOutOfRangeException"/> for betas outside [0, 1).</summary>
    public LionRule(double beta1 = 0.9, double beta2 = 0.99)
    {
        RuleValidation.Beta("Lion", beta1, 0, nameof(beta1));
        RuleValidation.Beta("Lion", beta2, 1, nameof(beta2));
        Beta1 = beta1;
        Beta2 = beta2;
    }

    /// <inheritdoc/>
    public string Name => "lion";

    /// <summary>Interpolation between momentum and gradient for the update's sign.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the momentum.</summary>
    public double Beta2 { get; }

    /// <inheritdoc/>
    public void Update(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            Tensor p = state.Parameter.Data, g = context.Gradient(i), m = state.Buffer(AdamRule.ExpAvg);
            double lr = context.LearningRate(state.Group);
            context.Kernels(i).LionStep(p.Storage, g.Storage, m.Storage, p.Numel, new LionCoefficients(lr, Beta1, Beta2, 1 - (lr * state.Group.WeightDecay)));
            state.Step++;
        }
    }
}
