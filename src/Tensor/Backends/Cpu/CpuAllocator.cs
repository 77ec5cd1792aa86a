using Spamp.Memory;

namespace Spamp.Backends.Cpu;

/// <summary>The host's caching allocator: fresh memory comes from <see cref="CpuBuffer.TryAllocate"/>.</summary>
internal sealed class CpuAllocator : CachingAllocator
{
    /// <inheritdoc/>
    protected override DeviceBuffer? AllocateFresh(long bytes) => CpuBuffer.TryAllocate(bytes);

    /// <inheritdoc/>
    protected override void FreeFresh(DeviceBuffer buffer) => ((CpuBuffer)buffer).Free();
}
