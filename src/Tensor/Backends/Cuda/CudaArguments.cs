using System.Runtime.InteropServices;

namespace Spamp.Backends.Cuda;

/// <summary>
/// The argument list of one CUDA launcher in the form cuLaunchKernel's <c>kernelParams</c> takes: an
/// array of pointers, one per kernel parameter, each to that parameter's bytes. The bytes are packed,
/// each at its natural alignment, into one fixed block of native memory owned by the launcher, so
/// setting arguments and launching allocate nothing and the pointers never move under the driver
/// (managed arrays could be relocated by the garbage collector).
/// </summary>
internal sealed unsafe class CudaArguments : IDisposable
{
    /// <summary>Bytes available for one launch's arguments; the largest kernel here needs under 200.</summary>
    public const int ByteCapacity = 512;

    /// <summary>The most parameters one kernel takes here (a margin over the largest, which has 16).</summary>
    public const int MaxArguments = 32;

    private byte* _bytes;
    private void** _pointers;
    private int _used;

    /// <summary>Allocates the argument block.</summary>
    public CudaArguments()
    {
        // 16-byte alignment covers every parameter type the kernels take (at most 8-byte aligned).
        _bytes = (byte*)NativeMemory.AlignedAlloc(ByteCapacity, 16);
        _pointers = (void**)NativeMemory.AlignedAlloc((nuint)(MaxArguments * sizeof(void*)), 16);
    }

    /// <summary>How many arguments are set.</summary>
    public int Count { get; private set; }

    /// <summary>The pointer array to pass as <c>kernelParams</c>.</summary>
    public void** Pointers => _pointers;

    /// <summary>Forgets the arguments (the block is reused).</summary>
    public void Clear()
    {
        _used = 0;
        Count = 0;
    }

    /// <summary>
    /// Copies argument <paramref name="index"/> (which must be the next one) into the block at the
    /// first offset aligned to <paramref name="alignment"/>, and returns that offset.
    /// </summary>
    public int Add(int index, void* value, int size, int alignment)
    {
        ObjectDisposedException.ThrowIf(_bytes is null, this);
        if (index != Count)
        {
            throw new InvalidOperationException($"kernel arguments are set in order: argument {index} given after {Count}");
        }

        if (alignment is not (1 or 2 or 4 or 8 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "a power of two up to 16");
        }

        int offset = (_used + alignment - 1) & -alignment;
        if (index >= MaxArguments || offset + size > ByteCapacity)
        {
            throw new InvalidOperationException(
                $"a launch's arguments are limited to {MaxArguments} parameters and {ByteCapacity} bytes; argument {index} ({size} bytes at {offset}) does not fit");
        }

        Buffer.MemoryCopy(value, _bytes + offset, size, size);
        _pointers[index] = _bytes + offset;
        _used = offset + size;
        Count = index + 1;
        return offset;
    }

    /// <summary>Where argument <paramref name="index"/> sits in the block (for tests).</summary>
    public int OffsetOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return (int)((byte*)_pointers[index] - _bytes);
    }

    /// <summary>The bytes of argument <paramref name="index"/>, as the driver will read them (for tests).</summary>
    public ReadOnlySpan<byte> BytesOf(int index, int size)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return new ReadOnlySpan<byte>(_pointers[index], size);
    }

    /// <summary>Frees the block.</summary>
    public void Dispose()
    {
        if (_bytes is not null)
        {
            NativeMemory.AlignedFree(_bytes);
            NativeMemory.AlignedFree(_pointers);
            _bytes = null;
            _pointers = null;
        }
    }
}
