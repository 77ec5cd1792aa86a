using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// Adam (Kingma and Ba 2014) and AdamW (Loshchilov and Hutter 2019) as one fused pass per
/// parameter, with PyTorch's semantics. For each parameter with a gradient g at step t (its own
/// 1-based count) and its group's scheduled learning rate lr and weight decay wd:
/// <code>
/// if maximize: g = -g
/// AdamW: p = p * (1 - lr*wd)                   decoupled decay, first, with the current lr
/// Adam:  g = g + wd*p                          coupled L2: it enters the moments
/// m = beta1*m + (1-beta1)*g                    exp_avg
/// v = beta2*v + (1-beta2)*g^2                  exp_avg_sq
/// amsgrad: vmax = max(vmax, v); v = vmax       max_exp_avg_sq, the max of the RAW v
/// p = p - lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
/// </code>
/// Buffers live in <see cref="ParameterState"/> under PyTorch's names and are created as zeros at
/// a parameter's first step with a gradient.
/// <para>
/// In a device-resident step the same pass runs with its coefficients computed on the device from
/// the parameter's update count, the scheduled learning rate and the gradient's pending scale
/// (adam_resident in optimizer_step.cl).
/// </para>
/// </summary>
public sealed class AdamRule : IUpdateRule, IDeviceResident
{
    /// <summary>Creates the rule; throws <see cref="ArgumentOutOfRangeException"/> for betas outside [0, 1) or a negative eps.</summary>
    public AdamRule(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, bool decoupledWeightDecay = false,
        bool amsgrad = false, bool maximize = false)
    {
        string name = decoupledWeightDecay ? "AdamW" : "Adam";
        RuleValidation.Beta(name, beta1, 0, nameof(beta1));
        RuleValidation.Beta(name, beta2, 1, nameof(beta2));
        RuleValidation.Epsilon(name, eps, nameof(eps));
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        DecoupledWeightDecay = decoupledWeightDecay;
        Amsgrad = amsgrad;
        Maximize = maximize;
    }

    /// <summary>The first-moment buffer's name.</summary>
    public const string ExpAvg = "exp_avg";

    /// <summary>The second-moment buffer's name.</summary>
    public const string ExpAvgSq = "exp_avg_sq";

    /// <summary>The AMSGrad buffer's name.</summary>
    public const string MaxExpAvgSq = "max_exp_avg_sq";

    /// <inheritdoc/>
    public string Name => DecoupledWeightDecay ? "adamw" : "adam";

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to sqrt(v)/sqrt(bc2).</summary>
    public double Eps { get; }

    /// <summary>True for AdamW (p *= 1 - lr*wd before the step); false for Adam's coupled L2.</summary>
    public bool DecoupledWeightDecay { get; }

    /// <summary>Use the running max of the second moment (AMSGrad).</summary>
    public bool Amsgrad { get; }

    /// <summary>Ascend the objective instead of descending it.</summary>
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
            ParameterGroup group = context.Parameters[i].Group;
            UpdateParameter(context, i, context.LearningRate(group), group.WeightDecay);
        }
    }

    /// <summary>One step of tensor <paramref name="i"/> of the step with the given lr and weight decay (Muon uses it for its non-matrix parameters).</summary>
    public void UpdateParameter(StepContext context, int i, double lr, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(context);
        ParameterState state = context.Parameters[i];
        Tensor p = state.Parameter.Data;
        var (g, gradientScale) = context.TakeGradientWithPendingScale(i);
        Tensor m = state.Buffer(ExpAvg), v = state.Buffer(ExpAvgSq);
        Tensor? vmax = Amsgrad ? state.Buffer(MaxExpAvgSq) : null;
        state.Step++;
        var c = AdamCoefficients.ForStep(state.Step, lr, Beta1, Beta2, Eps, weightDecay, DecoupledWeightDecay, Maximize) with { GradientScale = gradientScale };
        context.Kernels(i).AdamStep(p.Storage, g.Storage, m.Storage, v.Storage, vmax?.Storage, p.Numel, c);
    }

    /// <inheritdoc/>
    /// <remarks>Adam keeps nothing but its buffers (tensors on the device) and the update counts the step keeps.</remarks>
    int IDeviceResident.SlotCount(DeviceStep step) => 0;

    /// <inheritdoc/>
    void IDeviceResident.Upload(DeviceStep step, Span<double> slots)
    {
    }

    /// <inheritdoc/>
    void IDeviceResident.Download(DeviceStep step, ReadOnlySpan<double> slots)
    {
    }

    private void UpdateOnDevice(StepContext context, DeviceStep device)
    {
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            Tensor p = state.Parameter.Data, g = state.Grad!;
            Tensor m = state.Buffer(ExpAvg), v = state.Buffer(ExpAvgSq);
            Tensor? vmax = Amsgrad ? state.Buffer(MaxExpAvgSq) : null;
            device.Kernels.AdamResident(p.Storage, g.Storage, m.Storage, v.Storage, vmax?.Storage, p.Numel, device.SlotsOf(i),
                state.Group.LearningRate, context.LearningRateScale, state.Group.WeightDecay, Beta1, Beta2, Eps, DecoupledWeightDecay, Maximize);
        }
    }
}
