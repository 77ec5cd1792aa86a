using Spamp.Memory;
using static Spamp.Backends.Cuda.CudaDriver;

namespace Spamp.Backends.Cuda;

/// <summary>A cuMemAlloc block owned by the CUDA caching allocator.</summary>
internal sealed class CudaBuffer(ulong pointer, long byteLength) : DeviceBuffer(byteLength)
{
    /// <summary>The device pointer (0 once freed).</summary>
    public ulong Pointer { get; private set; } = pointer;

    /// <summary>Forgets the pointer after it was freed.</summary>
    public void MarkFreed() => Pointer = 0;
}

/// <summary>
/// The caching allocator of one CUDA device. Fresh memory is a cuMemAlloc, which synchronises the
/// device, so a training loop should reach a steady state served from the cache.
/// </summary>
/// <remarks>
/// A buffer returned to the cache is handed out again at once, while kernels that used it may still
/// be queued. That is safe because every kernel and copy of this backend runs on its one stream, in
/// order: the next user's work is queued after the previous user's, so reuse is ordered by the stream
/// (the single-stream argument of PyTorch's caching allocator). Only giving memory back to the driver
/// leaves the stream's order, so <see cref="FreeFresh"/> waits for the stream first; that happens when
/// the cache is emptied (out of memory, <see cref="CachingAllocator.EmptyCache"/>, disposal), never in a
/// steady-state training step.
/// </remarks>
internal sealed unsafe class CudaAllocator(CudaDevice device) : CachingAllocator
{
    /// <inheritdoc/>
    protected override DeviceBuffer? AllocateFresh(long bytes)
    {
        device.MakeCurrent();
        ulong pointer;
        int result = cuMemAlloc(&pointer, (nuint)bytes);
        // Out of memory becomes null so the base class can empty its cache, retry, and then report
        // asked/cached/live bytes; anything else is a bug worth its own message.
        if (result == ErrorOutOfMemory)
        {
            return null;
        }

        Check(result, "cuMemAlloc");
        return new CudaBuffer(pointer, bytes);
    }

    /// <inheritdoc/>
    protected override void FreeFresh(DeviceBuffer buffer)
    {
        var cuda = (CudaBuffer)buffer;
        if (cuda.Pointer == 0)
        {
            return;
        }

        device.MakeCurrent();
        Check(cuStreamSynchronize(device.Stream), "cuStreamSynchronize");
        Check(cuMemFree(cuda.Pointer), "cuMemFree");
        cuda.MarkFreed();
    }
}
