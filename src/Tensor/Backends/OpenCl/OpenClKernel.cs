using Spamp.Backends.Gpu;
using Spamp.Memory;
using static Spamp.Backends.OpenCl.OpenClNative;

namespace Spamp.Backends.OpenCl;

/// <summary>
/// An OpenCL launcher: a cl_kernel holds its arguments, so setting one is a clSetKernelArg (which
/// copies the bytes into the driver) and a launch enqueues the kernel on the backend's queue.
/// </summary>
internal sealed unsafe class OpenClKernel(nint handle, string name, nint queue) : GpuKernel(name), IDisposable
{
    private nint _handle = handle;

    /// <inheritdoc/>
    public override void Launch1D(long count, int local)
    {
        nuint global = (nuint)((count + local - 1) / local * local);
        nuint group = (nuint)local;
        Check(clEnqueueNDRangeKernel(queue, _handle, 1, null, &global, &group, 0, null, null), "clEnqueueNDRangeKernel");
    }

    /// <inheritdoc/>
    public override void Launch3D(int globalX, int globalY, int globalZ, int localX, int localY, int localZ)
    {
        nuint* global = stackalloc nuint[3] { (nuint)globalX, (nuint)globalY, (nuint)globalZ };
        nuint* local = stackalloc nuint[3] { (nuint)localX, (nuint)localY, (nuint)localZ };
        Check(clEnqueueNDRangeKernel(queue, _handle, 3, null, global, local, 0, null, null), "clEnqueueNDRangeKernel");
    }

    /// <summary>Releases the kernel object.</summary>
    public void Dispose()
    {
        if (_handle != 0)
        {
            _ = clReleaseKernel(_handle);
            _handle = 0;
        }
    }

    /// <inheritdoc/>
    protected override void Reset()
    {
        // A cl_kernel keeps its arguments; every launch sets all of them again.
    }

    /// <inheritdoc/>
    protected override void SetBuffer(DeviceBuffer buffer)
    {
        nint memory = ((OpenClBuffer)buffer).Memory;
        Set(&memory, sizeof(nint));
    }

    /// <inheritdoc/>
    protected override void SetBytes(void* value, int size, int alignment) => Set(value, size);

    private void Set(void* value, int size)
    {
        int status = clSetKernelArg(_handle, (uint)NextArgument, (nuint)size, value);
        if (status != 0)
        {
            throw new OpenClException(status, "clSetKernelArg", $"kernel {Name}, argument {NextArgument}");
        }
    }
}
