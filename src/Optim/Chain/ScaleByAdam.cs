using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// optax's <c>scale_by_adam</c>: replaces each gradient by the Adam direction
/// <code>
/// m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
/// g = (m/(1-beta1^t)) / (sqrt(v)/sqrt(1-beta2^t) + eps)
/// </code>
/// with t the parameter's step count plus one (the optimizer counts the step after the chain). The
/// moments are the shared <c>exp_avg</c>/<c>exp_avg_sq</c> buffers of <see cref="ParameterState"/>,
/// the same ones <see cref="AdamRule"/> uses. Chain it with <see cref="AddDecayedWeights"/> and
/// <see cref="ScaleByLearningRate"/> for AdamW.
/// </summary>
public sealed class ScaleByAdam : IGradientTransform
{
    /// <summary>Creates the transform; throws <see cref="ArgumentOutOfRangeException"/> for betas outside [0, 1) or a negative eps.</summary>
    public ScaleByAdam(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        RuleValidation.Beta("scale_by_adam", beta1, 0, nameof(beta1));
        RuleValidation.Beta("scale_by_adam", beta2, 1, nameof(beta2));
        RuleValidation.Epsilon("scale_by_adam", eps, nameof(eps));
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <inheritdoc/>
    public string Name => "scale_by_adam";

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the bias-corrected root of the second moment.</summary>
    public double Eps { get; }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            Tensor g = context.Gradient(i), m = state.Buffer(AdamRule.ExpAvg), v = state.Buffer(AdamRule.ExpAvgSq);
            var c = AdamCoefficients.ForStep(state.Step + 1, 0, Beta1, Beta2, Eps, 0, decoupled: true, maximize: false);
            context.Kernels(i).AdamDirection(g.Storage, m.Storage, v.Storage, g.Numel, c);
            context.MarkModified(i);
        }
    }
}
