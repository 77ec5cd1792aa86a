namespace Spamp.Optim;

/// <summary>
/// SGD (torch.optim.SGD): <see cref="SgdRule"/> (momentum, dampening, Nesterov, coupled weight
/// decay) after the optional gradient shaping chain. Defaults as PyTorch: lr 1e-3, momentum 0,
/// dampening 0, weight decay 0, no Nesterov. Nesterov requires momentum &gt; 0 and zero dampening.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>SGD over one group of parameters.</summary>
    public Sgd(IEnumerable<Parameter> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, bool maximize = false, IGradientTransform? shaping = null)
        : this([new ParameterGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov, maximize, shaping)
    {
    }

    /// <summary>SGD over parameter groups (groups without their own lr or weight decay take these).</summary>
    public Sgd(IEnumerable<ParameterGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, bool maximize = false, IGradientTransform? shaping = null)
        : base(groups, lr, weightDecay, new SgdRule(momentum, dampening, nesterov, maximize), shaping is null ? null : [shaping])
    {
    }

    /// <summary>The fused rule with this optimizer's hyperparameters.</summary>
    public SgdRule SgdRule => (SgdRule)Rule!;
}
