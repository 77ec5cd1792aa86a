using System.Runtime.InteropServices;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

/// <summary>
/// A block of host memory aligned to 64 bytes, so that a contiguous tensor starts on a cache line
/// and an AVX-512 load of its first elements never splits one.
/// </summary>
internal sealed unsafe class CpuBuffer : DeviceBuffer
{
    /// <summary>The alignment every buffer starts on.</summary>
    public const int Alignment = 64;

    private CpuBuffer(void* pointer, long byteLength)
        : base(byteLength) => Pointer = pointer;

    /// <summary>Start of the memory.</summary>
    public void* Pointer { get; private set; }

    /// <summary>A fresh buffer, or null when the system has no memory left.</summary>
    public static CpuBuffer? TryAllocate(long bytes)
    {
        try
        {
            void* pointer = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), Alignment);
            return pointer is null ? null : new CpuBuffer(pointer, bytes);
        }
        catch (OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>Gives the memory back to the system; the buffer is unusable afterwards.</summary>
    public void Free()
    {
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }

    /// <summary>The buffer as <paramref name="count"/> elements of <typeparamref name="T"/>.</summary>
    public Span<T> AsSpan<T>(int count) where T : unmanaged => new(Pointer, count);
}
