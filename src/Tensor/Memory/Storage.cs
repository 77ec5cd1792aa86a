using Spamp.Backends;

namespace Spamp.Memory;

/// <summary>
/// A refcounted device buffer shared by a tensor and all its views. Each Tensor
/// holds one reference; when the last is released the buffer goes back to the device's
/// <see cref="CachingAllocator"/> at once (deterministically, not when the GC runs).
/// </summary>
public sealed class Storage
{
    private int _references = 1;

    internal Storage(Backend backend, DeviceBuffer buffer, DType dtype, int capacity)
    {
        Backend = backend;
        Buffer = buffer;
        DType = dtype;
        Capacity = capacity;
    }

    /// <summary>The backend of the device the buffer lives on.</summary>
    public Backend Backend { get; }

    /// <summary>The device buffer.</summary>
    public DeviceBuffer Buffer { get; }

    /// <summary>Element type of the buffer.</summary>
    public DType DType { get; }

    /// <summary>Number of elements the buffer was allocated for.</summary>
    public int Capacity { get; }

    /// <summary>The device.</summary>
    public Device Device => Backend.Device;

    /// <summary>Current number of references (tensors and views) to this storage.</summary>
    public int References => Volatile.Read(ref _references);

    /// <summary>Allocates storage for <paramref name="numel"/> elements of <paramref name="dtype"/> on <paramref name="backend"/>'s device; contents undefined.</summary>
    internal static Storage Allocate(Backend backend, DType dtype, int numel)
    {
        DeviceBuffer buffer = backend.Allocator.Allocate(Math.Max(1L, (long)numel * dtype.SizeOf()));
        return new Storage(backend, buffer, dtype, numel);
    }

    /// <summary>Adds a reference (a new view shares this storage).</summary>
    internal void Retain()
    {
        if (Interlocked.Increment(ref _references) <= 1)
        {
            throw new InvalidOperationException("storage was retained after its buffer was released");
        }
    }

    /// <summary>Drops a reference; the last one returns the buffer to the pool.</summary>
    internal void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            Backend.Allocator.Return(Buffer);
#pragma warning disable CA1816 // Release is this type's Dispose: the finalizer is only a leak detector.
            GC.SuppressFinalize(this);
#pragma warning restore CA1816
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("storage released more times than it was retained");
        }
    }

    /// <summary>Safety net: a storage collected while still referenced means a tensor was not disposed.</summary>
    ~Storage()
    {
        if (Volatile.Read(ref _references) > 0)
        {
            Backend.Allocator.ReturnFromFinalizer(Buffer);
        }
    }
}
