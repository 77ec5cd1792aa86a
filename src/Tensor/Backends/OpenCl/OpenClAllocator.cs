using Spamp.Memory;
using static Spamp.Backends.OpenCl.OpenClNative;

namespace Spamp.Backends.OpenCl;

/// <summary>A cl_mem buffer owned by the OpenCL caching allocator.</summary>
internal sealed class OpenClBuffer(nint memory, long byteLength) : DeviceBuffer(byteLength)
{
    /// <summary>The cl_mem handle (0 once freed).</summary>
    public nint Memory { get; private set; } = memory;

    /// <summary>Releases the cl_mem. Safe while kernels that use it are still queued: OpenCL keeps the memory until they finish, so frees are ordered on the queue.</summary>
    public void Release()
    {
        if (Memory != 0)
        {
            _ = clReleaseMemObject(Memory);
            Memory = 0;
        }
    }
}

/// <summary>
/// The caching allocator of one OpenCL device: fresh memory is a clCreateBuffer, which may block
/// and may fail lazily, so a training loop should reach a steady state served from the cache.
/// </summary>
internal sealed unsafe class OpenClAllocator(OpenClDevice device) : CachingAllocator
{
    /// <inheritdoc/>
    protected override DeviceBuffer? AllocateFresh(long bytes)
    {
        int status;
        nint memory = clCreateBuffer(device.Context, MemReadWrite, (nuint)bytes, null, &status);
        // Allocation failures become null so the base class can empty its cache, retry, and then
        // report asked/live/cached bytes; anything else is a bug worth its own message.
        if (status is -4 /* MEM_OBJECT_ALLOCATION_FAILURE */ or -5 /* OUT_OF_RESOURCES */ or -6 /* OUT_OF_HOST_MEMORY */ or -61 /* INVALID_BUFFER_SIZE */)
        {
            return null;
        }

        Check(status, "clCreateBuffer");
        return new OpenClBuffer(memory, bytes);
    }

    /// <inheritdoc/>
    protected override void FreeFresh(DeviceBuffer buffer) => ((OpenClBuffer)buffer).Release();
}
