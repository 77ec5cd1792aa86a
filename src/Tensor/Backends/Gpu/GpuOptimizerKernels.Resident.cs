using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// The launchers of the device-resident optimizer step (optimizer_step.cl): kernels that take their
/// factors from slots of a scalar buffer on the device instead of host arguments, so a whole step is
/// queued without reading anything back. Offsets into the scalar buffer are chosen by the caller
/// (Spamp.Optim's DeviceStep); the kernel file documents what each one points to. Nothing here waits.
/// </summary>
internal sealed partial class GpuOptimizerKernels
{
    private const string StepFamily = "optimizer_step";

    /// <summary>The slots of one tensor an update kernel reads: its pending gradient scale, its update count, and the schedule ring.</summary>
    /// <param name="Scalars">The step's scalar buffer.</param>
    /// <param name="Scale">The tensor's pending gradient scale.</param>
    /// <param name="Counter">The tensor's update count for Adam; for SGD the flag saying its momentum buffer is filled (see <see cref="SgdResident"/>).</param>
    /// <param name="Ring">The first slot of the schedule ring.</param>
    /// <param name="RingSize">The ring's length.</param>
    internal readonly record struct TensorSlots(Storage Scalars, int Scale, int Counter, int Ring, int RingSize);

    /// <summary>The hyperparameters of SPAMP that its scalar kernels need (the enum values are SPAMP_* in optimizer_step.cl).</summary>
    internal readonly record struct SpampOptions(double Beta, double AlphaMin, double Margin, double FixedTau,
        int ShapeMode, int TauInit, int TauSource, bool ClippedNormInEma, bool PowerShaping);

    /// <summary>A scalar kernel of the step family, compiled once for the scalar type.</summary>
    private GpuKernel BeginStepKernel(string kernel) => _backend.Launcher(StepFamily, _backend.ScalarType, kernel).Begin();

    /// <summary>Queues the first stage of the squared norm of <paramref name="values"/> into <c>PARTIALS</c> slots at <paramref name="partialBase"/>.</summary>
    internal void SquaredNormPartials(Storage values, int count, Storage scalars, int partialBase)
    {
        RequireFloat("sum_squares_partials", values.DType);
        lock (_backend.LaunchGate)
        {
            LaunchPartials(Begin("sum_squares_partials", values.DType).Buffer(values).Value(count).Buffer(scalars).Value(partialBase), count);
        }
    }

    /// <summary>Queues step_begin: a copy of the norms, the skip decision from them, fresh pending scales, the schedule factor at <paramref name="ringSlot"/>.</summary>
    internal void StepBegin(Storage scalars, int norms, int normsBefore, int scales, int tensors, bool skipNonFinite, int ringSlot, double scheduleFactor)
    {
        lock (_backend.LaunchGate)
        {
            var kernel = BeginStepKernel("step_begin").Buffer(scalars).Value(norms).Value(normsBefore).Value(scales).Value(tensors)
                .Value(skipNonFinite ? 1 : 0).Value(ringSlot);
            _backend.ScalarArgument(kernel, scheduleFactor);
            kernel.Launch1D(1, 1);
        }
    }

    /// <summary>Queues step_end: one more completed step for the optimizer and every tensor, unless skipped.</summary>
    internal void StepEnd(Storage scalars, int updates, int tensors)
    {
        lock (_backend.LaunchGate)
        {
            BeginStepKernel("step_end").Buffer(scalars).Value(updates).Value(tensors).Launch1D(1, 1);
        }
    }

    /// <summary>Queues fill_unless_skipped: <paramref name="count"/> slots from <paramref name="first"/> set to <paramref name="value"/> when the step is not skipped.</summary>
    internal void FillUnlessSkipped(Storage scalars, int first, int count, double value)
    {
        lock (_backend.LaunchGate)
        {
            var kernel = BeginStepKernel("fill_unless_skipped").Buffer(scalars).Value(first).Value(count);
            _backend.ScalarArgument(kernel, value);
            kernel.Launch1D(1, 1);
        }
    }

    /// <summary>Queues clip_global: global 2-norm clipping as pending scales; the total and the clipped flag go to <paramref name="result"/> and the next slot.</summary>
    internal void ClipGlobal(Storage scalars, int norms, int scales, int tensors, double maxNorm, int result)
    {
        lock (_backend.LaunchGate)
        {
            var kernel = BeginStepKernel("clip_global").Buffer(scalars).Value(norms).Value(scales).Value(tensors);
            _backend.ScalarArgument(kernel, maxNorm);
            kernel.Value(result).Launch1D(1, 1);
        }
    }

    /// <summary>Queues spamp_begin for <paramref name="groups"/> layers whose slots and member tables start at <paramref name="region"/>.</summary>
    internal void SpampBegin(Storage scalars, int region, int groups, int norms, in SpampOptions o)
    {
        lock (_backend.LaunchGate)
        {
            var kernel = BeginStepKernel("spamp_begin").Buffer(scalars).Value(region).Value(groups).Value(norms);
            _backend.ScalarArgument(kernel, o.Beta);
            _backend.ScalarArgument(kernel, o.AlphaMin);
            _backend.ScalarArgument(kernel, o.Margin);
            _backend.ScalarArgument(kernel, o.FixedTau);
            kernel.Value(o.ShapeMode).Value(o.TauInit).Value(o.TauSource).Value(o.ClippedNormInEma ? 1 : 0).Value(o.PowerShaping ? 1 : 0);
            LaunchLayers(kernel, groups);
        }
    }

    /// <summary>Queues spamp_power over one tensor of the layer whose slots start at <paramref name="layerSlot"/>.</summary>
    internal void SpampPower(Storage values, int count, Storage scalars, int layerSlot, int scaleSlot, int partialBase)
    {
        RequireFloat("spamp_power", values.DType);
        lock (_backend.LaunchGate)
        {
            var kernel = _backend.Launcher(StepFamily, values.DType, "spamp_power").Begin()
                .Buffer(values).Value(count).Buffer(scalars).Value(layerSlot).Value(scaleSlot).Value(partialBase);
            LaunchPartials(kernel, count);
        }
    }

    /// <summary>Queues spamp_finish: restoration, projection and the layers' pending scales, from the shaped sums of squares at <paramref name="shaped"/>.</summary>
    internal void SpampFinish(Storage scalars, int region, int groups, int norms, int scales, int shaped, in SpampOptions o)
    {
        lock (_backend.LaunchGate)
        {
            var kernel = BeginStepKernel("spamp_finish").Buffer(scalars).Value(region).Value(groups).Value(norms).Value(scales).Value(shaped);
            _backend.ScalarArgument(kernel, o.Margin);
            LaunchLayers(kernel.Value(o.ShapeMode), groups);
        }
    }

    /// <summary>Queues adam_resident: one Adam/AdamW step whose coefficients come from the device's step count, schedule and pending scale.</summary>
    internal void AdamResident(Storage param, Storage grad, Storage expAvg, Storage expAvgSq, Storage? maxExpAvgSq, int count,
        in TensorSlots slots, double baseLr, double lrScale, double weightDecay, double beta1, double beta2, double eps, bool decoupled, bool maximize)
    {
        RequireFloat("adam_resident", param.DType);
        lock (_backend.LaunchGate)
        {
            // Without AMSGrad the kernel never touches its vmax argument; v stands in for it.
            var kernel = _backend.Launcher(StepFamily, param.DType, "adam_resident").Begin()
                .Buffer(param).Buffer(grad).Buffer(expAvg).Buffer(expAvgSq).Buffer(maxExpAvgSq ?? expAvgSq).Value(count)
                .Value(maxExpAvgSq is null ? 0 : 1).Value(maximize ? 1 : 0).Value(decoupled ? 1 : 0)
                .Buffer(slots.Scalars).Value(slots.Scale).Value(slots.Counter).Value(slots.Ring).Value(slots.RingSize);
            foreach (double value in (ReadOnlySpan<double>)[baseLr, lrScale, weightDecay, beta1, beta2, eps])
            {
                _backend.ScalarArgument(kernel, value);
            }

            LaunchElements(kernel, count);
        }
    }

    /// <summary>
    /// Queues sgd_resident: one SGD step with the scheduled lr and the pending scale. With a momentum
    /// buffer, <see cref="TensorSlots.Counter"/> is the slot that says whether the buffer holds a
    /// momentum yet (0: this step fills it undampened).
    /// </summary>
    internal void SgdResident(Storage param, Storage grad, Storage? momentumBuffer, int count, in TensorSlots slots,
        double baseLr, double lrScale, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        RequireFloat("sgd_resident", param.DType);
        lock (_backend.LaunchGate)
        {
            // Without momentum the kernel never touches its buffer argument; the gradient stands in for it.
            var kernel = _backend.Launcher(StepFamily, param.DType, "sgd_resident").Begin()
                .Buffer(param).Buffer(grad).Buffer(momentumBuffer ?? grad).Value(count)
                .Value(momentumBuffer is null ? 0 : 1).Value(nesterov ? 1 : 0).Value(maximize ? 1 : 0)
                .Buffer(slots.Scalars).Value(slots.Scale).Value(slots.Counter).Value(slots.Ring).Value(slots.RingSize);
            foreach (double value in (ReadOnlySpan<double>)[baseLr, lrScale, momentum, 1 - dampening, weightDecay])
            {
                _backend.ScalarArgument(kernel, value);
            }

            LaunchElements(kernel, count);
        }
    }

    /// <summary>One work-item per layer, in groups of up to 64.</summary>
    private static void LaunchLayers(GpuKernel kernel, int groups) => kernel.Launch1D(Math.Max(groups, 1), Math.Clamp(groups, 1, 64));
}
