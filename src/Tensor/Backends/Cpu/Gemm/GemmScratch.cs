using System.Runtime.InteropServices;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Per-thread, grow-only, 64-byte-aligned native scratch memory for the packed panels of A and B.
/// </summary>
/// <remarks>
/// Packing needs a few hundred KiB to a few MiB per GEMM call. Allocating that per call would
/// cost an allocation and, worse, the first touch of every fresh page (the OS zero-fills pages
/// lazily; on this kind of VM that is about 10 us per 4 KiB page, more than the GEMM itself for
/// mid-sized problems). So each thread keeps one buffer, grows it when a larger problem arrives
/// and otherwise reuses it forever. 64-byte alignment makes every packed B row of a
/// <c>Vector512</c> kernel a single cache line and lets the kernels use aligned loads.
/// The finalizer returns the memory when the owning thread dies and its instance is collected.
/// </remarks>
internal sealed unsafe class GemmScratch
{
    /// <summary>Alignment of every region handed out: one cache line, one zmm register.</summary>
    public const int Alignment = 64;

    [ThreadStatic]
    private static GemmScratch? s_current;

    private void* _memory;
    private nuint _bytes;

    /// <summary>The calling thread's scratch buffer.</summary>
    public static GemmScratch Current => s_current ??= new GemmScratch();

    /// <summary>
    /// Returns at least <paramref name="bytes"/> bytes of 64-byte-aligned memory, valid until the next
    /// call on this thread. Contents are unspecified.
    /// </summary>
    public void* Get(nuint bytes)
    {
        if (bytes > _bytes)
        {
            // Grow geometrically so a sequence of slightly larger problems does not reallocate each time.
            var size = Math.Max(bytes, _bytes + (_bytes / 2));
            size = (size + 4095) & ~(nuint)4095;
            NativeMemory.AlignedFree(_memory);
            _memory = null;
            _bytes = 0;
            _memory = NativeMemory.AlignedAlloc(size, Alignment);
            _bytes = size;
        }

        return _memory;
    }

    /// <summary>Rounds a byte count up to the scratch alignment.</summary>
    public static nuint AlignUp(nuint bytes) => (bytes + Alignment - 1) & ~(nuint)(Alignment - 1);

    ~GemmScratch()
    {
        NativeMemory.AlignedFree(_memory);
    }
}
