namespace Spamp.Backends.Gpu;

/// <summary>
/// The optimizer kernels' way into the backend: <see cref="GpuOptimizerKernels"/> is not a backend
/// but launches the backend's kernels, on the same queue and under the same gate, so that its work
/// is ordered with every tensor operation and never needs a wait of its own.
/// </summary>
public abstract partial class GpuBackend
{
    private GpuOptimizerKernels? _optimizerKernels;

    /// <summary>The fused optimizer kernels of this device (one instance per backend, created on first use).</summary>
    internal GpuOptimizerKernels OptimizerKernels => LazyInitializer.EnsureInitialized(ref _optimizerKernels, () => new GpuOptimizerKernels(this));

    /// <summary>The dtype host scalars and reduction results are kept in on the device: float64 where the device has it.</summary>
    internal DType ScalarType => SupportsFloat64 ? DType.Float64 : DType.Float32;

    /// <summary>The lock every launch holds while it sets arguments and enqueues.</summary>
    internal Lock LaunchGate => Gate;

    /// <summary>The launcher of <paramref name="kernel"/> in <paramref name="family"/> for <paramref name="dtype"/>; call under <see cref="LaunchGate"/>.</summary>
    internal GpuKernel Launcher(string family, DType dtype, string kernel) => Kernel(family, dtype, kernel);

    /// <summary>Sets the next argument of <paramref name="kernel"/> to a host scalar in the kernels' SCALAR type.</summary>
    internal void ScalarArgument(GpuKernel kernel, double value) => Scalar(kernel, value);

    /// <summary>The work-group size for a loop over <paramref name="count"/> elements: a power of two of at most 256, within the device's limit.</summary>
    internal int WorkGroupFor(int count) => GroupFor(count);
}
