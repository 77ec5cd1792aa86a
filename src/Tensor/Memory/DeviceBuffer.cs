namespace Spamp.Memory;

/// <summary>
/// A block of device memory owned by a device's <see cref="CachingAllocator"/>. Backends subclass
/// it (host pointer, CUDA device pointer, OpenCL cl_mem). Tensors never see it directly: they hold a
/// refcounted <see cref="Storage"/> that returns the buffer to the pool when its last user is gone.
/// </summary>
public abstract class DeviceBuffer
{
    /// <summary>Creates a buffer record of <paramref name="byteLength"/> bytes.</summary>
    protected DeviceBuffer(long byteLength) => ByteLength = byteLength;

    /// <summary>Capacity in bytes (the pool's size class, at least what was asked).</summary>
    public long ByteLength { get; }

    /// <summary>Where this buffer was allocated, when allocation sites are tracked.</summary>
    internal string? AllocationSite { get; set; }
}

/// <summary>A snapshot of one device's memory accounting.</summary>
/// <param name="LiveBuffers">Buffers held by at least one storage.</param>
/// <param name="LiveBytes">Bytes of the live buffers (size classes).</param>
/// <param name="CachedBuffers">Freed buffers kept for reuse.</param>
/// <param name="CachedBytes">Bytes of the cached buffers.</param>
/// <param name="FreshAllocations">How many times memory was requested from the system (pool misses), ever.</param>
/// <param name="PoolHits">How many allocations were served from the cache, ever.</param>
/// <param name="LeakedBuffers">Buffers whose storage was garbage-collected without being disposed (reported by the finalizer safety net).</param>
public readonly record struct MemoryStats(
    long LiveBuffers, long LiveBytes, long CachedBuffers, long CachedBytes,
    long FreshAllocations, long PoolHits, long LeakedBuffers)
{
    /// <summary>
    /// Live buffers plus buffers recovered from leaks. A loop that frees everything it allocates
    /// keeps this constant even when the garbage collector recovers a tensor leaked earlier (which
    /// lowers <see cref="LiveBuffers"/> at an unpredictable moment): the number to assert on.
    /// </summary>
    public long AccountedBuffers => LiveBuffers + LeakedBuffers;
}
