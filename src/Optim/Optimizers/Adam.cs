namespace Spamp.Optim;

/// <summary>
/// Adam (torch.optim.Adam): <see cref="AdamRule"/> with coupled L2 weight decay (g += wd*p enters
/// the moments), after the optional gradient shaping chain. Defaults as PyTorch: lr 1e-3,
/// betas (0.9, 0.999), eps 1e-8, weight decay 0.
/// <code>var opt = new Adam(model.Parameters(), lr: 1e-3, shaping: new ClipGradNorm(1.0));</code>
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Adam over one group of parameters.</summary>
    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false, IGradientTransform? shaping = null)
        : this([new ParameterGroup(parameters)], lr, betas, eps, weightDecay, amsgrad, maximize, shaping)
    {
    }

    /// <summary>Adam over parameter groups (groups without their own lr or weight decay take these).</summary>
    public Adam(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false, IGradientTransform? shaping = null)
        : base(groups, lr, weightDecay, CreateRule(betas, eps, amsgrad, maximize), shaping is null ? null : [shaping])
    {
    }

    /// <summary>The fused rule with this optimizer's hyperparameters.</summary>
    public AdamRule AdamRule => (AdamRule)Rule!;

    private static AdamRule CreateRule((double Beta1, double Beta2)? betas, double eps, bool amsgrad, bool maximize)
    {
        var (beta1, beta2) = betas ?? (0.9, 0.999);
        return new AdamRule(beta1, beta2, eps, decoupledWeightDecay: false, amsgrad, maximize);
    }
}
