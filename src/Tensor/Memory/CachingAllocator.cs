using System.Collections.Concurrent;
using System.Diagnostics;

namespace Spamp.Memory;

/// <summary>
/// A per-device caching allocator. Freed buffers go to a free list keyed by size class and are
/// handed out again instead of asking the system: fresh memory is expensive everywhere (a CUDA
/// malloc synchronises the device; on the reference VM each first touch of a 4 KiB host page costs
/// about 10 microseconds), and a training loop asks for the same sizes every step, so after the
/// first step every request is a cache hit.
/// <para>
/// Size classes: requests round up to a multiple of a quarter of their power of two (at least 64
/// bytes), so at most 25% is wasted while similar sizes still share a class.
/// </para>
/// </summary>
public abstract class CachingAllocator
{
    private readonly Dictionary<long, Stack<DeviceBuffer>> _free = [];
    private readonly ConcurrentQueue<DeviceBuffer> _returnedByFinalizer = new();
    private readonly HashSet<DeviceBuffer>? _liveSet;
    private readonly Lock _lock = new();
    private long _liveBuffers, _liveBytes, _cachedBuffers, _cachedBytes, _fresh, _hits, _leaked;

    /// <summary>Creates the allocator.</summary>
    protected CachingAllocator()
    {
        _liveSet = [];
    }

    /// <summary>
    /// When true, every allocation records its stack trace so <see cref="LiveAllocationSites"/> can
    /// say who holds memory. Costly: for debugging leaks only. Defaults to true in Debug builds.
    /// </summary>
    public static bool TrackAllocationSites { get; set; }
#if DEBUG
        = true;
#endif

    /// <summary>Asks the device for a fresh buffer of exactly <paramref name="bytes"/>; null when out of memory.</summary>
    protected abstract DeviceBuffer? AllocateFresh(long bytes);

    /// <summary>Gives a buffer's memory back to the device.</summary>
    protected abstract void FreeFresh(DeviceBuffer buffer);

    /// <summary>The size class a request of <paramref name="bytes"/> is served from.</summary>
    public static long SizeClass(long bytes)
    {
        if (bytes <= 64)
        {
            return 64;
        }

        long power = 1L << (int)(63 - long.LeadingZeroCount(bytes));
        long step = Math.Max(power / 4, 64);
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes, from the cache when possible.</summary>
    public DeviceBuffer Allocate(long bytes)
    {
        DrainFinalizerReturns();
        long size = SizeClass(bytes);
        DeviceBuffer? buffer = null;
        lock (_lock)
        {
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                buffer = stack.Pop();
                _cachedBuffers--;
                _cachedBytes -= size;
                _hits++;
            }
        }

        if (buffer is null)
        {
            buffer = AllocateFresh(size);
            if (buffer is null)
            {
                // Out of memory: give the cache back to the device and try once more.
                EmptyCache();
                buffer = AllocateFresh(size);
            }

            if (buffer is null)
            {
                MemoryStats s = Stats;
                throw new DeviceOutOfMemoryException(
                    $"out of memory: asked for {bytes} bytes ({size} with rounding); {s.LiveBytes} bytes live in {s.LiveBuffers} buffers, {s.CachedBytes} cached");
            }

            lock (_lock)
            {
                _fresh++;
            }
        }

        if (TrackAllocationSites)
        {
            buffer.AllocationSite = new StackTrace(2, true).ToString();
        }

        lock (_lock)
        {
            _liveBuffers++;
            _liveBytes += size;
            _liveSet?.Add(buffer);
        }

        return buffer;
    }

    /// <summary>Returns a buffer to the cache. Called once, when its storage's last reference is released.</summary>
    public void Return(DeviceBuffer buffer) => Return(buffer, leaked: false);

    private void Return(DeviceBuffer buffer, bool leaked)
    {
        lock (_lock)
        {
            if (leaked)
            {
                // Counted in the same update that removes it from the live set, so live + leaked
                // never jumps when the GC recovers a buffer in the middle of a measurement.
                _leaked++;
            }

            _liveBuffers--;
            _liveBytes -= buffer.ByteLength;
            _liveSet?.Remove(buffer);
            if (!_free.TryGetValue(buffer.ByteLength, out var stack))
            {
                stack = new Stack<DeviceBuffer>();
                _free[buffer.ByteLength] = stack;
            }

            buffer.AllocationSite = null;
            stack.Push(buffer);
            _cachedBuffers++;
            _cachedBytes += buffer.ByteLength;
        }
    }

    /// <summary>
    /// Called by a storage's finalizer when a tensor was never disposed: the safety net, not the
    /// mechanism. Counts the leak; the buffer is recycled on the next allocation on a normal
    /// thread, because device APIs must not be called from the GC's thread.
    /// </summary>
    internal void ReturnFromFinalizer(DeviceBuffer buffer) => _returnedByFinalizer.Enqueue(buffer);

    private void DrainFinalizerReturns()
    {
        while (_returnedByFinalizer.TryDequeue(out var buffer))
        {
            Return(buffer, leaked: true);
        }
    }

    /// <summary>Frees every cached buffer back to the device (live buffers are untouched).</summary>
    public void EmptyCache()
    {
        List<DeviceBuffer> toFree = [];
        lock (_lock)
        {
            foreach (var stack in _free.Values)
            {
                toFree.AddRange(stack);
                stack.Clear();
            }

            _cachedBuffers = 0;
            _cachedBytes = 0;
        }

        foreach (var buffer in toFree)
        {
            FreeFresh(buffer);
        }
    }

    /// <summary>The current accounting.</summary>
    public MemoryStats Stats
    {
        get
        {
            DrainFinalizerReturns();
            lock (_lock)
            {
                return new MemoryStats(_liveBuffers, _liveBytes, _cachedBuffers, _cachedBytes, _fresh, _hits, _leaked);
            }
        }
    }

    /// <summary>The allocation stack traces of live buffers (empty unless <see cref="TrackAllocationSites"/> was on).</summary>
    public IReadOnlyList<string> LiveAllocationSites()
    {
        lock (_lock)
        {
            return _liveSet is null ? [] : [.. _liveSet.Select(b => b.AllocationSite).OfType<string>()];
        }
    }
}
