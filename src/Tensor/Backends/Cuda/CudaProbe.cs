namespace Spamp.Backends.Cuda;

/// <summary>
/// The registry's CUDA factory. It probes the driver for real (library, cuInit, device count) so
/// <c>Device.IsAvailable(DeviceKind.Cuda, out reason)</c> says exactly what is missing; with a
/// working driver it says that this build's CUDA backend has no kernels yet, rather than failing
/// later in the middle of an operation.
/// </summary>
internal static class CudaProbe
{
    /// <summary>The backend of CUDA device <paramref name="index"/>, or why there is none.</summary>
    public static (Backend? Backend, string Reason) Create(int index)
    {
        if (!CudaDriver.Probe(out int count, out string reason))
        {
            return (null, reason);
        }

        if (index >= count)
        {
            return (null, $"there are {count} CUDA devices; cuda:{index} does not exist");
        }

        string compiler = Nvrtc.TryLoad(out string nvrtc) ? $"NVRTC {nvrtc} loads" : $"NVRTC: {nvrtc}";
        return (null, $"the NVIDIA driver reports {count} CUDA device(s) ({compiler}), but this build's CUDA backend runs no kernels yet; use Device.OpenCl on this machine");
    }
}
