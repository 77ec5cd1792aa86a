namespace Spamp.Backends.Cpu;

/// <summary>A body of work over an index range [start, end), run by <see cref="CpuParallel.For{TBody}"/>.</summary>
internal interface IRangeBody
{
    /// <summary>Does the work of items [start, end).</summary>
    void Execute(int start, int end);
}

/// <summary>
/// Splits work across cores only when it pays: waking a thread pool worker costs a few
/// microseconds, about what one core needs for 32K simple element operations, so small tensors
/// run on the calling thread and big ones in chunks of at least that size.
/// </summary>
internal static class CpuParallel
{
    /// <summary>Fewest elements a chunk handed to another thread should hold.</summary>
    public const int MinElementsPerChunk = 32 * 1024;

    /// <summary>Below this many elements everything runs on the calling thread.</summary>
    public const int SerialThreshold = 64 * 1024;

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count), where each item costs about
    /// <paramref name="elementsPerItem"/> simple element operations. The struct body is copied into
    /// each worker; it must hold only pointers and values.
    /// </summary>
    public static void For<TBody>(int count, long elementsPerItem, TBody body)
        where TBody : struct, IRangeBody
    {
        int chunks = ChunkCount(count, elementsPerItem);
        if (chunks <= 1)
        {
            body.Execute(0, count);
            return;
        }

        Parallel.For(0, chunks, chunk =>
        {
            var local = body;
            local.Execute(Start(chunk, chunks, count), Start(chunk + 1, chunks, count));
        });
    }

    /// <summary>How many chunks to cut <paramref name="count"/> items of the given cost into (1: run serially).</summary>
    public static int ChunkCount(int count, long elementsPerItem)
    {
        long total = count * Math.Max(elementsPerItem, 1);
        int cores = Environment.ProcessorCount;
        if (count <= 1 || total < SerialThreshold || cores == 1)
        {
            return 1;
        }

        // A few chunks per core even out a core that is busy with something else.
        long chunks = Math.Min(total / MinElementsPerChunk, cores * 4L);
        return (int)Math.Clamp(chunks, 1, count);
    }

    /// <summary>First item of chunk <paramref name="chunk"/> when [0, count) is cut into <paramref name="chunks"/> even parts.</summary>
    public static int Start(int chunk, int chunks, int count) => (int)((long)count * chunk / chunks);
}
