using Spamp.Backends.Gpu;
using Spamp.Memory;
using static Spamp.Backends.Cuda.CudaDriver;

namespace Spamp.Backends.Cuda;

/// <summary>
/// A CUDA launcher: a function of a loaded module and its own argument block (see
/// <see cref="CudaArguments"/>); a launch is one cuLaunchKernel on the backend's stream. The backend
/// hands launchers out under its gate with its context made current on the calling thread, and the
/// launch follows on that thread, so no context switch is needed here.
/// </summary>
internal sealed unsafe class CudaKernel(nint function, string name, nint stream) : GpuKernel(name), IDisposable
{
    private readonly CudaArguments _arguments = new();

    /// <summary>The packed arguments of the launch being prepared.</summary>
    internal CudaArguments Arguments => _arguments;

    /// <inheritdoc/>
    public override void Launch1D(long count, int local)
    {
        if (count == 0)
        {
            return;
        }

        uint blocks = CudaLaunchGeometry.Blocks1D(count, local);
        Launch(blocks, 1, 1, (uint)local, 1, 1);
    }

    /// <inheritdoc/>
    public override void Launch3D(int globalX, int globalY, int globalZ, int localX, int localY, int localZ)
    {
        var (x, y, z) = CudaLaunchGeometry.Grid3D(globalX, globalY, globalZ, localX, localY, localZ);
        Launch(x, y, z, (uint)localX, (uint)localY, (uint)localZ);
    }

    /// <summary>Frees the argument block (the function belongs to its module, which the backend unloads).</summary>
    public void Dispose() => _arguments.Dispose();

    /// <inheritdoc/>
    protected override void Reset() => _arguments.Clear();

    /// <inheritdoc/>
    protected override void SetBuffer(DeviceBuffer buffer)
    {
        ulong pointer = ((CudaBuffer)buffer).Pointer;
        _arguments.Add(NextArgument, &pointer, sizeof(ulong), sizeof(ulong));
    }

    /// <inheritdoc/>
    protected override void SetBytes(void* value, int size, int alignment) => _arguments.Add(NextArgument, value, size, alignment);

    private void Launch(uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ)
    {
        // Static shared memory only (the kernels' LOCAL arrays), so no dynamic shared bytes.
        int result = cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, 0, stream, _arguments.Pointers, null);
        if (result != 0)
        {
            throw new CudaException(result, $"cuLaunchKernel({Name}, grid {gridX}x{gridY}x{gridZ}, block {blockX}x{blockY}x{blockZ}, {_arguments.Count} arguments)", DriverText(result));
        }
    }
}
