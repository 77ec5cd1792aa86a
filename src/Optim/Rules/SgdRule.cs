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
/// <para>
/// In a device-resident step the pass reads the scheduled lr and the gradient's pending scale from
/// the device, and "first step" is a per-parameter flag on the device (set once a step that was not
/// skipped filled the buffer), since the host cannot see whether the step that created the buffer ran.
/// </para>
/// </summary>
public sealed class SgdRule : IUpdateRule, IDeviceResident
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
    bool IDeviceResident.RunsOnDevice => true;

    /// <inheritdoc/>
    public void Update(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.OnDevice is { } device)
        {
            UpdateOnDevice(context, device);
            return;
        }

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

    /// <inheritdoc/>
    /// <remarks>One slot per tensor: 1 once its momentum buffer holds a momentum.</remarks>
    int IDeviceResident.SlotCount(DeviceStep step) => step.Tensors.Count;

    /// <inheritdoc/>
    void IDeviceResident.Upload(DeviceStep step, Span<double> slots)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = step.Tensors[i].TryGetBuffer(MomentumBuffer, out _) ? 1 : 0;
        }
    }

    /// <inheritdoc/>
    void IDeviceResident.Download(DeviceStep step, ReadOnlySpan<double> slots)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            if (slots[i] == 0)
            {
                // Created for a step that was skipped on the device: absent again, as on the host path.
                step.Tensors[i].RemoveBuffer(MomentumBuffer);
            }
        }
    }

    private void UpdateOnDevice(StepContext context, DeviceStep device)
    {
        int filled = device.RegionOf(this);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            Tensor p = state.Parameter.Data, g = state.Grad!;
            Tensor? buffer = Momentum != 0 ? state.Buffer(MomentumBuffer) : null;
            device.Kernels.SgdResident(p.Storage, g.Storage, buffer?.Storage, p.Numel, device.SlotsOf(i) with { Counter = filled + i },
                state.Group.LearningRate, context.LearningRateScale, Momentum, Dampening, state.Group.WeightDecay, Nesterov, Maximize);
        }

        if (Momentum != 0)
        {
            device.Kernels.FillUnlessSkipped(device.Scalars, filled, context.Parameters.Count, 1);
        }
    }
}
