namespace Spamp.Backends.Cuda;

/// <summary>
/// What NVRTC compiles the kernels for on one device: machine code (a cubin) for the device's own
/// architecture when this NVRTC knows it, else PTX for the newest older virtual architecture it knows.
/// </summary>
/// <remarks>
/// Machine code is preferred because the driver loads it as it is. PTX must be JIT-compiled by the
/// driver, which reads only PTX versions no newer than itself: an NVRTC newer than the driver (a
/// PyTorch wheel's 12.8 on a 12.2 driver, which CUDA's minor-version compatibility otherwise allows)
/// writes PTX the driver rejects, while its cubin loads. PTX remains for GPUs newer than NVRTC,
/// whose (necessarily newer) driver compiles older PTX forward.
/// </remarks>
/// <param name="Architecture">The architecture as a number (90 for sm_90 or compute_90).</param>
/// <param name="MachineCode">True for a cubin (<c>sm_XY</c>), false for PTX (<c>compute_XY</c>).</param>
internal readonly record struct CudaTarget(int Architecture, bool MachineCode)
{
    /// <summary>NVRTC's option naming this target.</summary>
    public string Option => $"--gpu-architecture={this}";

    /// <summary>The target for a device of compute capability <paramref name="major"/>.<paramref name="minor"/>.</summary>
    /// <param name="major">Compute capability, major part.</param>
    /// <param name="minor">Compute capability, minor part.</param>
    /// <param name="supported">NVRTC's architectures (see <see cref="Nvrtc.SupportedArchitectures"/>).</param>
    /// <exception cref="NotSupportedException">The device is older than every architecture NVRTC knows.</exception>
    public static CudaTarget For(int major, int minor, IReadOnlyList<int> supported)
    {
        int device = (major * 10) + minor;
        if (supported.Contains(device))
        {
            return new CudaTarget(device, MachineCode: true);
        }

        int older = supported.Where(a => a < device).DefaultIfEmpty(-1).Max();
        return older >= 0
            ? new CudaTarget(older, MachineCode: false)
            : throw new NotSupportedException(
                $"a GPU of compute capability {major}.{minor} is older than every architecture this NVRTC compiles for ({string.Join(", ", supported.Select(a => "sm_" + a))})");
    }

    /// <summary><c>sm_90</c> or <c>compute_90</c>.</summary>
    public override string ToString() => $"{(MachineCode ? "sm" : "compute")}_{Architecture}";
}
