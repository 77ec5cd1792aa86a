using Spamp.Backends.Cpu;
using Spamp.Backends.Gpu;
using Spamp.Memory;

namespace Spamp.Backends;

/// <summary>
/// The fused kernels an optimizer step needs, per device: statistics over a gradient (squared norm
/// accumulated in double, max |g|, non-finite detection) and in-place rewrites and updates that
/// touch each element once. They take dense storages (gradients, parameters and optimizer state are
/// always contiguous from element 0) and an element count. A partial class: one file per family
/// (statistics here; <c>OptimizerKernels.Update.cs</c> for the base rules; <c>OptimizerKernels.Shaping.cs</c>
/// for gradient transforms), each implemented by every device.
/// </summary>
public abstract partial class OptimizerKernels
{
    /// <summary>The kernels of <paramref name="device"/>: the CPU's, or those of a GPU backend (OpenCL, CUDA).</summary>
    public static OptimizerKernels For(Device device) => device.Kind switch
    {
        DeviceKind.Cpu => CpuOptimizerKernels.Instance,
        _ when BackendRegistry.For(device) is GpuBackend gpu => gpu.OptimizerKernels,
        _ => throw new DeviceMismatchException($"optimizer kernels: no implementation for device {device} in this build"),
    };

    /// <summary>sum of g_i^2 over the first <paramref name="count"/> elements, accumulated in double (NaN or Inf propagate).</summary>
    public abstract double SumOfSquares(Storage values, int count);

    /// <summary>max |g_i| (NaN propagates).</summary>
    public abstract double MaxAbs(Storage values, int count);

    /// <summary>g_i *= factor, in place.</summary>
    public abstract void Scale(Storage values, int count, double factor);

    /// <summary>y_i += alpha * x_i, in place.</summary>
    public abstract void Axpy(Storage y, Storage x, int count, double alpha);
}
