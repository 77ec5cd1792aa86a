using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// optax's <c>trace</c>, with PyTorch SGD's conventions: replaces each gradient by the momentum
/// direction
/// <code>
/// buf = (first step) ? g : momentum*buf + (1-dampening)*g      momentum_buffer, shared with SgdRule
/// g   = nesterov ? g + momentum*buf : buf
/// </code>
/// Chained with <see cref="ScaleByLearningRate"/> it is SGD with momentum.
/// </summary>
public sealed class TraceMomentum : IGradientTransform
{
    /// <summary>Creates the transform; Nesterov requires momentum &gt; 0 and zero dampening.</summary>
    public TraceMomentum(double momentum = 0.9, double dampening = 0, bool nesterov = false)
    {
        RuleValidation.NonNegative("trace", "momentum", momentum, nameof(momentum));
        RuleValidation.NonNegative("trace", "dampening", dampening, nameof(dampening));
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException($"trace: Nesterov momentum requires a momentum > 0 and zero dampening (got momentum {momentum}, dampening {dampening})", nameof(nesterov));
        }

        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <inheritdoc/>
    public string Name => "trace";

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the gradient entering the buffer (not on the first step).</summary>
    public double Dampening { get; }

    /// <summary>Use the Nesterov direction.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            bool first = !state.TryGetBuffer(SgdRule.MomentumBuffer, out Tensor buffer);
            if (first)
            {
                buffer = state.Buffer(SgdRule.MomentumBuffer);
            }

            Tensor g = context.Gradient(i);
            var c = new SgdCoefficients(0, Momentum, Dampening, 0, Nesterov, Maximize: false, first);
            context.Kernels(i).MomentumDirection(g.Storage, buffer.Storage, g.Numel, c);
            context.MarkModified(i);
        }
    }
}
