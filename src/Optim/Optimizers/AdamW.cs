namespace Spamp.Optim;

/// <summary>
/// AdamW (torch.optim.AdamW, Loshchilov and Hutter): <see cref="AdamRule"/> with decoupled weight
/// decay, p *= 1 - lr*wd before the Adam step with the current (scheduled) lr, after the optional
/// gradient shaping chain. Defaults as PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
/// <code>var opt = new AdamW(model.Parameters(), lr: 1e-3, shaping: new SpampShaping());</code>
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>AdamW over one group of parameters.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false, IGradientTransform? shaping = null)
        : this([new ParameterGroup(parameters)], lr, betas, eps, weightDecay, amsgrad, maximize, shaping)
    {
    }

    /// <summary>AdamW over parameter groups (groups without their own lr or weight decay take these).</summary>
    public AdamW(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false, IGradientTransform? shaping = null)
        : base(groups, lr, weightDecay, CreateRule(betas, eps, amsgrad, maximize), shaping is null ? null : [shaping])
    {
    }

    /// <summary>The fused rule with this optimizer's hyperparameters.</summary>
    public AdamRule AdamRule => (AdamRule)Rule!;

    private static AdamRule CreateRule((double Beta1, double Beta2)? betas, double eps, bool amsgrad, bool maximize)
    {
        var (beta1, beta2) = betas ?? (0.9, 0.999);
        return new AdamRule(beta1, beta2, eps, decoupledWeightDecay: true, amsgrad, maximize);
    }
}
