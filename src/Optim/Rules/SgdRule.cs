using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and coupled weight
/// decay, fused into one pass per parameter, with PyTorch's semantics. For a gradient g, the group's
/// scheduled lr and weight decay wd:
/// <code>
/// if maximize: g = -g
/// g = g + wd*p
/// if momentum != 0:
///     buf = (first step) ? g : momentum*buf + (1-dampening)*g      momentum_buffer; no dampening on the first step
///     d   = nesterov ? g + momentum*buf : buf
/// else: d = g
/// p = p - lr*d
/// </code>
/// This is "v = mu*v + g; p -= lr*v" (not Sutskever's "v = mu*v + lr*g"); they differ when lr changes.
/// </summary>
public sealed class SgdRule : IUpdateRule
{
    /// <summary>The momentum buffer's name.</summary>
    public const string MomentumBuffer = "momentum_buffer";

    /// <summary>
    /// Creates the rule. Throws <see cref="ArgumentOutOfRangeException"/> for a negative momentum or
    /// dampening, and <see cref="ArgumentException"/> for Nesterov without momentum or with dampening.
    /// </summary>
    public SgdRule(double momentum = 0, double dampening = 0, bool nesterov = false, bool maximize = false)
    {
        RuleValidation.NonNegative("SGD", "momentum", momentum, nameof(momentum));
        RuleValidation.NonNegative("SGD", "dampening", dampening, nameof(dampening));
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException($"SGD: Nesterov momentum requires a momentum > 0 and zero dampening (got momentum {momentum}, dampening {dampening})", nameof(nesterov));
        }

        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        Maximize = maximize;
    }

    /// <inheritdoc/>
    public string Name => "sgd";

    /// <summary>Momentum factor (0: no buffer).</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the gradient entering the buffer.</summary>
    public double Dampening { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>Ascend instead of descend.</summary>
    public bool Maximize { get; }

    /// <inheritdoc/>
    public void Update(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            Tensor p = state.Parameter.Data, g = context.Gradient(i);
            Tensor? buffer = null;
            bool first = false;
            if (Momentum != 0)
            {
                // PyTorch's buffer is None until the first step; here "absent" plays that role.
                first = !state.TryGetBuffer(MomentumBuffer, out buffer);
                if (first)
                {
                    buffer = state.Buffer(MomentumBuffer);
                }
            }

            var c = new SgdCoefficients(context.LearningRate(state.Group), Momentum, Dampening, state.Group.WeightDecay, Nesterov, Maximize, first);
            context.Kernels(i).SgdStep(p.Storage, g.Storage, buffer?.Storage, p.Numel, c);
            state.Step++;
        }
    }
}
