namespace Spamp.Data;

/// <summary>
/// Seeded permutations for shuffling and splitting, reproducible on every machine: a Fisher–Yates
/// shuffle driven by the Philox stream of <see cref="Generator"/> and integer arithmetic only (no
/// floating point, no platform RNG).
/// </summary>
/// <remarks>
/// Permutation <c>stream</c> of a seed draws from Philox counters starting at <c>stream · 2³²</c>, so
/// different streams (a <see cref="DataLoader"/>'s epochs, a train/test split) never share random
/// numbers, and epoch <c>e</c> can be recomputed without replaying epochs 0..e-1. Each swap position
/// is <c>⌊r · (i+1) / 2⁶⁴⌋</c> for a 64-bit Philox value <c>r</c> (Lemire's multiply-shift), whose bias
/// of at most <c>(i+1)/2⁶⁴</c> is far below anything measurable.
/// </remarks>
public static class RandomPermutation
{
    /// <summary>The stream <see cref="DataLoader"/> does not use, reserved for fixed train/test splits.</summary>
    public const ulong SplitStream = uint.MaxValue;

    /// <summary>A permutation of 0..count-1 for <paramref name="seed"/> and <paramref name="stream"/>.</summary>
    public static long[] Create(int count, ulong seed, ulong stream = 0)
    {
        var order = new long[count];
        Fill(order, seed, stream);
        return order;
    }

    /// <summary>Fills <paramref name="order"/> with a permutation of 0..Length-1 (no allocation).</summary>
    public static void Fill(Span<long> order, ulong seed, ulong stream = 0)
    {
        if (stream > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(stream), stream, "permutation: stream must fit in 32 bits (it selects counters stream·2^32 onwards)");
        }

        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        ulong counter = stream << 32;
        uint r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        bool haveSecond = false;
        for (int i = order.Length - 1; i > 0; i--)
        {
            // One Philox block gives two 64-bit draws: (r0, r1) now, (r2, r3) on the next swap.
            ulong r;
            if (haveSecond)
            {
                r = ((ulong)r3 << 32) | r2;
                haveSecond = false;
            }
            else
            {
                Philox4x32.Block((uint)counter, (uint)(counter >> 32), 0, 0, k0, k1, out r0, out r1, out r2, out r3);
                counter++;
                r = ((ulong)r1 << 32) | r0;
                haveSecond = true;
            }

            int j = (int)Math.BigMul(r, (ulong)(i + 1), out _);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
