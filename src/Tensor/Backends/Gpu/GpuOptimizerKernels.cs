using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// <see cref="OptimizerKernels"/> on a GPU backend (OpenCL or CUDA): the kernels of
/// <c>Kernels/optimizer.cl</c> and <c>Kernels/select.cl</c>, launched on the backend's queue. Each
/// member has the CPU kernel's semantics and per-element arithmetic. Members that return a value
/// (a norm, a count, a median) read it back, which waits for the queue: one synchronisation each,
/// counted in <see cref="Backend.Synchronizations"/>. The in-place rewrites and the update rules
/// are only queued. Float32 and float64 storages (float64 where the device has it).
/// </summary>
/// <remarks>
/// Every call allocates its own small scratch buffer from the device's caching allocator, so calls
/// from several threads (the step measures norms in parallel) never share intermediate results.
/// </remarks>
internal sealed partial class GpuOptimizerKernels : OptimizerKernels
{
    /// <summary>Partial results per reduced tensor: PARTIALS in optimizer.cl.</summary>
    internal const int Partials = 64;

    private const string Family = "optimizer";

    /// <summary>The most work-groups an element loop launches; beyond that, work-items take several elements.</summary>
    private const int MaxGroups = 1024;

    private readonly GpuBackend _backend;

    internal GpuOptimizerKernels(GpuBackend backend) => _backend = backend;

    /// <inheritdoc/>
    public override double SumOfSquares(Storage values, int count) =>
        Reduce("sum_squares_partials", values, count, isMax: false);

    /// <inheritdoc/>
    public override double MaxAbs(Storage values, int count) =>
        Reduce("max_abs_partials", values, count, isMax: true);

    /// <inheritdoc/>
    public override void Scale(Storage values, int count, double factor)
    {
        RequireFloat("scale", values.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            var kernel = Begin("scale", values.DType).Buffer(values).Value(count);
            _backend.ScalarArgument(kernel, factor);
            LaunchElements(kernel, count);
        }
    }

    /// <inheritdoc/>
    public override void Axpy(Storage y, Storage x, int count, double alpha)
    {
        RequireFloat("axpy", y.DType);
        if (count == 0)
        {
            return;
        }

        lock (_backend.LaunchGate)
        {
            var kernel = Begin("axpy", y.DType).Buffer(y).Buffer(x).Value(count);
            _backend.ScalarArgument(kernel, alpha);
            LaunchElements(kernel, count);
        }
    }

    // ---- launch helpers ------------------------------------------------------------------------

    /// <summary>A kernel of the optimizer family with its argument list started; call under the launch gate.</summary>
    private GpuKernel Begin(string kernel, DType dtype) => _backend.Launcher(Family, dtype, kernel).Begin();

    /// <summary>Launches an element loop over <paramref name="count"/> elements.</summary>
    internal void LaunchElements(GpuKernel kernel, int count) => Launch(kernel, count, MaxGroups);

    /// <summary>Launches the first stage of a reduction: at most <see cref="Partials"/> work-groups.</summary>
    internal void LaunchPartials(GpuKernel kernel, int count) => Launch(kernel, count, Partials);

    private void Launch(GpuKernel kernel, int count, int maxGroups)
    {
        int local = _backend.WorkGroupFor(count);
        long groups = Math.Clamp(((long)count + local - 1) / local, 1, maxGroups);
        kernel.Launch1D(groups * local, local);
    }

    /// <summary>
    /// Queues the second stage of <paramref name="tensors"/> reductions: the <see cref="Partials"/>
    /// slots of tensor j at <c>partialBase + j * Partials</c> are folded into <c>destBase + j</c>.
    /// </summary>
    internal void FinishPartials(Storage scalars, DType programType, int partialBase, int destBase, int tensors, bool isMax)
    {
        lock (_backend.LaunchGate)
        {
            Begin("finish_partials", programType).Buffer(scalars).Value(partialBase).Value(destBase).Value(isMax ? 1 : 0)
                .Launch1D((long)tensors * Partials, Partials);
        }
    }

    /// <summary>A scratch buffer for one reduction: the partials, then the result.</summary>
    private Storage NewScratch() => Storage.Allocate(_backend, _backend.ScalarType, Partials + 1);

    /// <summary>Runs a reduction kernel whose arguments are (values, count, partials, base), finishes it and reads the result (one synchronisation).</summary>
    private double Reduce(string kernel, Storage values, int count, bool isMax)
    {
        RequireFloat(kernel, values.DType);
        if (count == 0)
        {
            return 0;
        }

        Storage scratch = NewScratch();
        try
        {
            lock (_backend.LaunchGate)
            {
                LaunchPartials(Begin(kernel, values.DType).Buffer(values).Value(count).Buffer(scratch).Value(0), count);
            }

            return FinishAndRead(scratch, values.DType, isMax);
        }
        finally
        {
            scratch.Release();
        }
    }

    /// <summary>Folds the partials of <paramref name="scratch"/> and reads the result: the one synchronisation of a reduction.</summary>
    private double FinishAndRead(Storage scratch, DType programType, bool isMax)
    {
        FinishPartials(scratch, programType, 0, Partials, 1, isMax);
        return ReadScalars(scratch, Partials, 1)[0];
    }

    /// <summary>Reads <paramref name="count"/> scalars from <paramref name="offset"/> as doubles (one synchronisation).</summary>
    internal double[] ReadScalars(Storage scalars, int offset, int count)
    {
        var layout = new Layout(new Shape(count), [1], offset);
        var result = new double[count];
        if (scalars.DType == DType.Float64)
        {
            _backend.Download<double>(scalars, layout, result);
        }
        else
        {
            var single = new float[count];
            _backend.Download<float>(scalars, layout, single);
            for (int i = 0; i < count; i++)
            {
                result[i] = single[i];
            }
        }

        return result;
    }

    private static void RequireFloat(string kernel, DType dtype)
    {
        if (dtype is not (DType.Float32 or DType.Float64))
        {
            throw new DTypeMismatchException($"{kernel}: {dtype.Name()} is not supported; optimizer kernels take float32 or float64");
        }
    }
}
