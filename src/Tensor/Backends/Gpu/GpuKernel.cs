using Spamp.Backends.Kernels;
using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// A launcher: one compiled kernel of a GPU backend, created once and kept, whose arguments are
/// set in order and then launched. The primitives in <see cref="GpuBackend"/> are written against
/// this class only, so the same host code drives the OpenCL and the CUDA kernels, which are the
/// same source compiled twice. Setting an argument copies its bytes, so a launch allocates nothing.
/// Not thread-safe (the argument list is state): the backend serialises launches under its gate.
/// </summary>
internal abstract unsafe class GpuKernel(string name)
{
    /// <summary>The kernel function's name.</summary>
    public string Name { get; } = name;

    /// <summary>Index of the next argument to set.</summary>
    protected int NextArgument { get; private set; }

    /// <summary>Starts a new argument list at index 0.</summary>
    public GpuKernel Begin()
    {
        NextArgument = 0;
        Reset();
        return this;
    }

    /// <summary>Sets the next argument to a storage's device buffer.</summary>
    public GpuKernel Buffer(Storage storage)
    {
        SetBuffer(storage.Buffer);
        NextArgument++;
        return this;
    }

    /// <summary>Sets the next argument to a value (int, float, double, ulong, <see cref="Dims8"/>, ...).</summary>
    public GpuKernel Value<T>(T value) where T : unmanaged
    {
        SetBytes(&value, sizeof(T), sizeof(T) >= 8 ? 8 : sizeof(T));
        NextArgument++;
        return this;
    }

    /// <summary>Launches the kernel over <paramref name="count"/> work-items in groups of <paramref name="local"/> (the global size is rounded up; kernels check bounds).</summary>
    public abstract void Launch1D(long count, int local);

    /// <summary>Launches the kernel over a 3-D range (each global size a multiple of its local size).</summary>
    public abstract void Launch3D(int globalX, int globalY, int globalZ, int localX, int localY, int localZ);

    /// <summary>Forgets the previous launch's arguments.</summary>
    protected abstract void Reset();

    /// <summary>Sets argument <see cref="NextArgument"/> to a device buffer.</summary>
    protected abstract void SetBuffer(DeviceBuffer buffer);

    /// <summary>Sets argument <see cref="NextArgument"/> to <paramref name="size"/> bytes aligned to <paramref name="alignment"/>.</summary>
    protected abstract void SetBytes(void* value, int size, int alignment);
}
