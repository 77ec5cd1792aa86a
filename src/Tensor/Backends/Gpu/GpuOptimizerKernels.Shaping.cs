using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>The gradient-shaping kernels on a GPU (SPAMP's power map, value clamp, SPAM, Stable-SPAM, shrinkage).</summary>
internal sealed partial class GpuOptimizerKernels
{
    /// <summary>Ints of the radix-select state (select.cl): a 256-bin histogram, then the counters and keys.</summary>
    private const int SelectStateSize = 264;

    /// <summary>Where the candidate count starts in the radix-select state; the two result keys follow at +4 and +6.</summary>
    private const int SelectTotal = 256;

    /// <inheritdoc/>
    public override double PowerShape(Storage values, int count, double inverseScale, double alpha)
    {
        RequireFloat("power_shape", values.DType);
        if (count == 0)
        {
            return 0;
        }

        Storage scratch = NewScratch();
        try
        {
            lock (_backend.LaunchGate)
            {
                var kernel = Begin("power_shape", values.DType).Buffer(values).Value(count);
                _backend.ScalarArgument(kernel, inverseScale);
                _backend.ScalarArgument(kernel, alpha);
                LaunchPartials(kernel.Buffer(scratch).Value(0), count);
            }

            return FinishAndRead(scratch, values.DType, isMax: false);
        }
        finally
        {
            scratch.Release();
        }
    }

    /// <inheritdoc/>
    public override double PowerSum(Storage values, int count, double p)
    {
        RequireFloat("power_sum", values.DType);
        if (count == 0)
        {
            return 0;
        }

        Storage scratch = NewScratch();
        try
        {
            lock (_backend.LaunchGate)
            {
                var kernel = Begin("power_sum_partials", values.DType).Buffer(values).Value(count);
                _backend.ScalarArgument(kernel, p);
                LaunchPartials(kernel.Buffer(scratch).Value(0), count);
            }

            return FinishAndRead(scratch, values.DType, isMax: false);
        }
        finally
        {
            scratch.Release();
        }
    }

    /// <inheritdoc/>
    public override void ClampValue(Storage values, int count, double limit)
    {
        RequireFloat("clamp_value", values.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            var kernel = Begin("clamp_value", values.DType).Buffer(values).Value(count);
            _backend.ScalarArgument(kernel, limit);
            LaunchElements(kernel, count);
        }
    }

    /// <inheritdoc/>
    public override int SpikeClip(Storage gradient, Storage secondMoment, int count, double theta)
    {
        RequireFloat("spike_clip", gradient.DType);
        if (secondMoment.DType != gradient.DType)
        {
            throw new DTypeMismatchException($"spike_clip: gradient {gradient.DType.Name()} with second moment {secondMoment.DType.Name()} is not supported");
        }

        return count == 0 ? 0 : Counted(counter =>
        {
            var kernel = Begin("spike_clip", gradient.DType).Buffer(gradient).Buffer(secondMoment).Value(count);
            _backend.ScalarArgument(kernel, theta);
            LaunchElements(kernel.Buffer(counter), count);
        });
    }

    /// <inheritdoc/>
    public override int AdaClip(Storage values, int count, double threshold, double factor)
    {
        RequireFloat("ada_clip", values.DType);
        return count == 0 ? 0 : Counted(counter =>
        {
            var kernel = Begin("ada_clip", values.DType).Buffer(values).Value(count);
            _backend.ScalarArgument(kernel, threshold);
            _backend.ScalarArgument(kernel, factor);
            LaunchElements(kernel.Buffer(counter), count);
        });
    }

    /// <inheritdoc/>
    public override void Shrink(Storage values, int count, ShrinkFunction function, double scale, double k)
    {
        RequireFloat("shrink", values.DType);
        if (function is not (ShrinkFunction.GaussGate or ShrinkFunction.HardClamp or ShrinkFunction.SoftClip or ShrinkFunction.CauchyScore))
        {
            throw new ArgumentOutOfRangeException(nameof(function), function, "shrink: unknown function");
        }

        if (count == 0)
        {
            return;
        }

        // GaussGate: e = (y sqrt(1/2)/s)^2 - k^2/2. SoftClip, CauchyScore: (z/k)^2 = (y/(k s))^2. HardClamp: |y| <= k s.
        double factor = function == ShrinkFunction.GaussGate ? Math.Sqrt(0.5) / scale : 1 / (k * scale);
        lock (_backend.LaunchGate)
        {
            var kernel = Begin("shrink", values.DType).Buffer(values).Value(count).Value((int)function);
            _backend.ScalarArgument(kernel, factor);
            _backend.ScalarArgument(kernel, 0.5 * k * k);
            _backend.ScalarArgument(kernel, k * scale);
            LaunchElements(kernel, count);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Radix select on the device (select.cl): the two middle order statistics are found without
    /// copying or sorting, and one read returns the count and both keys.
    /// </remarks>
    public override double MedianAbsNonZero(Storage values, int count, int sampleCap, out int nonZero)
    {
        RequireFloat("median_abs", values.DType);
        nonZero = 0;
        if (count == 0)
        {
            return 0;
        }

        int stride = sampleCap > 0 && count > sampleCap ? (count + sampleCap - 1) / sampleCap : 1;
        int samples = (count + stride - 1) / stride;
        int keyBits = values.DType.SizeOf() * 8;
        Storage state = Storage.Allocate(_backend, DType.Int32, SelectStateSize);
        try
        {
            _backend.Fill(state, Layout.Contiguous(new Shape(SelectStateSize)), 0);
            for (int selection = 0; selection < 2; selection++)
            {
                for (int shift = keyBits - 8; shift >= 0; shift -= 8)
                {
                    lock (_backend.LaunchGate)
                    {
                        var histogram = _backend.Launcher("select", values.DType, "select_histogram").Begin()
                            .Buffer(values).Value(samples).Value(stride).Buffer(state).Value(shift);
                        LaunchElements(histogram, samples);
                        _backend.Launcher("select", values.DType, "select_digit").Begin()
                            .Buffer(state).Value(shift).Value(selection).Launch1D(1, 1);
                    }
                }
            }

            Span<int> result = stackalloc int[8];
            _backend.Download<int>(state, new Layout(new Shape(8), [1], SelectTotal), result);
            nonZero = result[0];
            if (nonZero == 0)
            {
                return 0;
            }

            double upper = KeyValue(values.DType, result[4], result[5]);
            return (nonZero & 1) == 1 ? upper : 0.5 * (KeyValue(values.DType, result[6], result[7]) + upper);
        }
        finally
        {
            state.Release();
        }
    }

    /// <summary>The magnitude whose bit pattern is the key (low, high 32 bits).</summary>
    private static double KeyValue(DType dtype, int low, int high) => dtype == DType.Float64
        ? BitConverter.Int64BitsToDouble((long)(uint)low | ((long)high << 32))
        : BitConverter.Int32BitsToSingle(low);

    /// <inheritdoc/>
    public override double SpamMoments(Storage gradient, Storage m, Storage v, Storage? vmax, int count, double beta1, double beta2, double stepSize, double denomScale, double eps)
    {
        RequireFloat("spam_moments", gradient.DType);
        if (count == 0)
        {
            return 0;
        }

        Storage scratch = NewScratch();
        try
        {
            lock (_backend.LaunchGate)
            {
                // Without AMSGrad the kernel never touches its vmax argument; v stands in for it.
                var kernel = Begin("spam_moments", gradient.DType).Buffer(gradient).Buffer(m).Buffer(v).Buffer(vmax ?? v)
                    .Value(vmax is null ? 0 : 1).Value(count);
                _backend.ScalarArgument(kernel, beta1);
                _backend.ScalarArgument(kernel, beta2);
                _backend.ScalarArgument(kernel, stepSize);
                _backend.ScalarArgument(kernel, denomScale);
                _backend.ScalarArgument(kernel, eps);
                LaunchPartials(kernel.Buffer(scratch).Value(0), count);
            }

            return FinishAndRead(scratch, gradient.DType, isMax: false);
        }
        finally
        {
            scratch.Release();
        }
    }

    /// <inheritdoc/>
    public override void SpamApplyUpdate(Storage parameter, Storage m, Storage v, int count, double stepSize, double denomScale, double eps)
    {
        RequireFloat("spam_apply_update", parameter.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            var kernel = Begin("spam_apply_update", parameter.DType).Buffer(parameter).Buffer(m).Buffer(v).Value(count);
            _backend.ScalarArgument(kernel, stepSize);
            _backend.ScalarArgument(kernel, denomScale);
            _backend.ScalarArgument(kernel, eps);
            LaunchElements(kernel, count);
        }
    }

    /// <summary>Runs <paramref name="launch"/> (under the launch gate) with a zeroed int counter as its last argument and reads the count (one synchronisation).</summary>
    private int Counted(Action<Storage> launch)
    {
        Storage counter = Storage.Allocate(_backend, DType.Int32, 1);
        try
        {
            _backend.Fill(counter, Layout.Contiguous(new Shape(1)), 0);
            lock (_backend.LaunchGate)
            {
                launch(counter);
            }

            Span<int> count = stackalloc int[1];
            _backend.Download<int>(counter, Layout.Contiguous(new Shape(1)), count);
            return count[0];
        }
        finally
        {
            counter.Release();
        }
    }
}
