using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>The fused base rules on a GPU: one queued pass per parameter, nothing read back.</summary>
internal sealed partial class GpuOptimizerKernels
{
    // Flags of adam_element and sgd_element (optimizer.cl).
    private const int AdamDecoupled = 1, AdamCoupled = 2, AdamMaximize = 4, AdamScaled = 8, AdamAmsgrad = 16;
    private const int SgdDecay = 1, SgdNesterov = 2, SgdMaximize = 4, SgdFirst = 8, SgdMomentum = 16;

    /// <inheritdoc/>
    public override void AdamStep(Storage param, Storage grad, Storage expAvg, Storage expAvgSq, Storage? maxExpAvgSq, int count, in AdamCoefficients c)
    {
        RequireFloat("adam_step", param.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            // Without AMSGrad the kernel never touches its vmax argument; v stands in for it.
            var kernel = Begin("adam_step", param.DType).Buffer(param).Buffer(grad).Buffer(expAvg).Buffer(expAvgSq)
                .Buffer(maxExpAvgSq ?? expAvgSq).Value(count).Value(AdamFlags(c, maxExpAvgSq is not null));
            foreach (double value in (ReadOnlySpan<double>)[c.Beta1, 1 - c.Beta1, c.Beta2, 1 - c.Beta2, c.Eps, -c.StepSize,
                c.BiasCorrection2Sqrt, c.Decay, c.L2, c.GradientScale])
            {
                _backend.ScalarArgument(kernel, value);
            }

            LaunchElements(kernel, count);
        }
    }

    /// <inheritdoc/>
    public override void AdamDirection(Storage grad, Storage expAvg, Storage expAvgSq, int count, in AdamCoefficients c)
    {
        RequireFloat("adam_direction", grad.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            var kernel = Begin("adam_direction", grad.DType).Buffer(grad).Buffer(expAvg).Buffer(expAvgSq).Value(count);
            foreach (double value in (ReadOnlySpan<double>)[c.Beta1, 1 - c.Beta1, c.Beta2, 1 - c.Beta2, c.Eps, c.BiasCorrection1, c.BiasCorrection2Sqrt])
            {
                _backend.ScalarArgument(kernel, value);
            }

            LaunchElements(kernel, count);
        }
    }

    /// <inheritdoc/>
    public override void SgdStep(Storage param, Storage grad, Storage? momentumBuffer, int count, in SgdCoefficients c)
    {
        RequireFloat("sgd_step", param.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            // Without momentum the kernel never touches its buffer argument; the gradient stands in for it.
            var kernel = Begin("sgd_step", param.DType).Buffer(param).Buffer(grad).Buffer(momentumBuffer ?? grad)
                .Value(count).Value(SgdFlags(c, momentumBuffer is not null));
            foreach (double value in (ReadOnlySpan<double>)[-c.LearningRate, c.Momentum, 1 - c.Dampening, c.WeightDecay])
            {
                _backend.ScalarArgument(kernel, value);
            }

            LaunchElements(kernel, count);
        }
    }

    /// <inheritdoc/>
    public override void MomentumDirection(Storage grad, Storage momentumBuffer, int count, in SgdCoefficients c)
    {
        RequireFloat("momentum_direction", grad.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            var kernel = Begin("momentum_direction", grad.DType).Buffer(grad).Buffer(momentumBuffer).Value(count)
                .Value(SgdFlags(c, hasBuffer: true));
            _backend.ScalarArgument(kernel, c.Momentum);
            _backend.ScalarArgument(kernel, 1 - c.Dampening);
            LaunchElements(kernel, count);
        }
    }

    /// <inheritdoc/>
    public override void LionStep(Storage param, Storage grad, Storage expAvg, int count, in LionCoefficients c)
    {
        RequireFloat("lion_step", param.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            var kernel = Begin("lion_step", param.DType).Buffer(param).Buffer(grad).Buffer(expAvg).Value(count);
            foreach (double value in (ReadOnlySpan<double>)[-c.LearningRate, c.Decay, c.Beta1, 1 - c.Beta1, c.Beta2, 1 - c.Beta2])
            {
                _backend.ScalarArgument(kernel, value);
            }

            LaunchElements(kernel, count);
        }
    }

    /// <summary>The branches of adam_element, as the CPU kernel decides them (a factor of exactly 1 or 0 is skipped, not applied).</summary>
    internal static int AdamFlags(in AdamCoefficients c, bool amsgrad) =>
        (c.Decay != 1 ? AdamDecoupled : 0) | (c.L2 != 0 ? AdamCoupled : 0) | (c.Maximize ? AdamMaximize : 0)
        | (c.GradientScale != 1 ? AdamScaled : 0) | (amsgrad ? AdamAmsgrad : 0);

    /// <summary>The branches of sgd_element.</summary>
    internal static int SgdFlags(in SgdCoefficients c, bool hasBuffer) =>
        (c.WeightDecay != 0 ? SgdDecay : 0) | (c.Nesterov ? SgdNesterov : 0) | (c.Maximize ? SgdMaximize : 0)
        | (c.FirstStep ? SgdFirst : 0) | (hasBuffer ? SgdMomentum : 0);
}
