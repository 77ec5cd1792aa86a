using Spamp.Backends.Kernels;
using Spamp.Memory;
using static Spamp.Backends.OpenCl.OpenClNative;

namespace Spamp.Backends.OpenCl;

/// <summary>
/// A launcher: one compiled kernel, created once and kept, whose arguments are set in order and
/// then enqueued. Setting an argument copies its bytes into the driver, so a launch allocates
/// nothing. Not thread-safe (a cl_kernel holds its arguments): the backend serialises launches.
/// </summary>
internal sealed unsafe class OpenClKernel(nint handle, string name) : IDisposable
{
    private nint _handle = handle;
    private uint _next;

    /// <summary>The kernel function's name.</summary>
    public string Name { get; } = name;

    /// <summary>Starts a new argument list at index 0.</summary>
    public OpenClKernel Begin()
    {
        _next = 0;
        return this;
    }

    /// <summary>Sets the next argument to a storage's buffer.</summary>
    public OpenClKernel Buffer(Storage storage)
    {
        nint memory = ((OpenClBuffer)storage.Buffer).Memory;
        return Set(&memory, (nuint)sizeof(nint));
    }

    /// <summary>Sets the next argument to a value (int, float, double, ulong, <see cref="Dims8"/>, ...).</summary>
    public OpenClKernel Value<T>(T value) where T : unmanaged => Set(&value, (nuint)sizeof(T));

    /// <summary>Enqueues the kernel over <paramref name="count"/> work-items in groups of <paramref name="local"/> (the global size is rounded up; kernels check bounds).</summary>
    public void Launch1D(nint queue, long count, int local)
    {
        nuint global = (nuint)((count + local - 1) / local * local);
        nuint group = (nuint)local;
        Check(clEnqueueNDRangeKernel(queue, _handle, 1, null, &global, &group, 0, null, null), "clEnqueueNDRangeKernel");
    }

    /// <summary>Enqueues the kernel over a 3-D range (each global size a multiple of its local size).</summary>
    public void Launch3D(nint queue, int gx, int gy, int gz, int lx, int ly, int lz)
    {
        nuint* global = stackalloc nuint[3] { (nuint)gx, (nuint)gy, (nuint)gz };
        nuint* local = stackalloc nuint[3] { (nuint)lx, (nuint)ly, (nuint)lz };
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

    private OpenClKernel Set(void* value, nuint size)
    {
        int status = clSetKernelArg(_handle, _next, size, value);
        if (status != 0)
        {
            throw new OpenClException(status, "clSetKernelArg", $"kernel {Name}, argument {_next}");
        }

        _next++;
        return this;
    }
}
