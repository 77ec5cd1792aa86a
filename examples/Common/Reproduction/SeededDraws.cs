using Spamp.Data;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// Random choices of the perturbation studies as pure functions of (seed, stream, index), from the same
/// Philox generator as the rest of Spamp, so a schedule is identical on every machine and can be computed
/// for any step without replaying the ones before it. Each study has its own stream, away from those the
/// <see cref="DataLoader"/> uses for epochs (small numbers) and from <see cref="RandomPermutation.SplitStream"/>.
/// </summary>
public static class SeededDraws
{
    /// <summary>The stream that picks the spike steps.</summary>
    public const ulong SpikeStream = 0xA000_0001;

    /// <summary>The stream that picks which training labels are corrupted.</summary>
    public const ulong NoiseSelectionStream = 0xA000_0002;

    /// <summary>The stream that draws the replacement labels.</summary>
    public const ulong NoiseLabelStream = 0xA000_0003;

    /// <summary>The stream of the batch stream's epoch orders start here (stream = offset + epoch).</summary>
    public const ulong BatchOrderStream = 0;

    /// <summary>Draw <paramref name="index"/> of stream <paramref name="stream"/>: 64 uniformly random bits.</summary>
    public static ulong UInt64(ulong seed, ulong stream, ulong index)
    {
        // Counter (index, stream), key = seed: distinct (stream, index) pairs never share a block.
        Philox4x32.Block((uint)index, (uint)(index >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32),
            out uint r0, out uint r1, out _, out _);
        return ((ulong)r1 << 32) | r0;
    }

    /// <summary>Draw <paramref name="index"/> of a stream as an integer in [0, <paramref name="bound"/>) (Lemire's multiply-shift; bias below bound/2^64).</summary>
    public static int Below(ulong seed, ulong stream, ulong index, int bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        return (int)Math.BigMul(UInt64(seed, stream, index), (ulong)bound, out _);
    }

    /// <summary>
    /// <paramref name="count"/> distinct integers from [0, <paramref name="population"/>), ascending: the first
    /// <paramref name="count"/> entries of a seeded permutation (<see cref="RandomPermutation"/>), so every
    /// subset of that size is equally likely.
    /// </summary>
    public static long[] Subset(int population, int count, ulong seed, ulong stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(population);
        if (count < 0 || count > population)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"subset: cannot pick {count} of {population}");
        }

        long[] order = RandomPermutation.Create(population, seed, stream);
        long[] chosen = order[..count];
        Array.Sort(chosen);
        return chosen;
    }
}
