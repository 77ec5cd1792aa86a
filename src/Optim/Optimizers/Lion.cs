namespace Spamp.Optim;

/// <summary>
/// Lion (Chen et al. 2023; lucidrains/lion-pytorch): <see cref="LionRule"/> after the optional
/// gradient shaping chain. Defaults: lr 1e-4, betas (0.9, 0.99), weight decay 0. Lion wants a
/// 3-10x smaller lr and a 3-10x larger weight decay than AdamW.
/// </summary>
public sealed class Lion : Optimizer
{
    /// <summary>Lion over one group of parameters.</summary>
    public Lion(IEnumerable<Parameter> parameters, double lr = 1e-4, (double Beta1, double Beta2)? betas = null, double weightDecay = 0,
        IGradientTransform? shaping = null)
        : this([new ParameterGroup(parameters)], lr, betas, weightDecay, shaping)
    {
    }

    /// <summary>Lion over parameter groups (groups without their own lr or weight decay take these).</summary>
    public Lion(IEnumerable<ParameterGroup> groups, double lr = 1e-4, (double Beta1, double Beta2)? betas = null, double weightDecay = 0,
        IGradientTransform? shaping = null)
        : base(groups, lr, weightDecay, CreateRule(betas), shaping is null ? null : [shaping])
    {
    }

    /// <summary>The fused rule with this optimizer's hyperparameters.</summary>
    public LionRule LionRule => (LionRule)Rule!;

    private static LionRule CreateRule((double Beta1, double Beta2)? betas)
    {
        var (beta1, beta2) = betas ?? (0.9, 0.99);
        return new LionRule(beta1, beta2);
    }
}
