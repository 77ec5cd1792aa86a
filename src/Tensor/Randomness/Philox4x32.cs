using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Spamp;

/// <summary>
/// The Philox4x32-10 counter-based bijection of Salmon, Moraes, Dror and Shaw
/// ("Parallel Random Numbers: As Easy as 1, 2, 3", SC11; the Random123 library).
/// </summary>
/// <remarks>
/// <para>
/// A block maps a 128-bit counter <c>(c0, c1, c2, c3)</c> and a 64-bit key <c>(k0, k1)</c> to 128 random
/// bits <c>(r0, r1, r2, r3)</c>. Each of the ten rounds computes the full 64-bit products
/// <c>p0 = 0xD2511F53 * c0</c> and <c>p1 = 0xCD9E8D57 * c2</c> and replaces the counter by
/// <c>(hi(p1) ^ c1 ^ k0, lo(p1), hi(p0) ^ c3 ^ k1, lo(p0))</c>; between rounds (nine times) the key is bumped
/// by the Weyl increments <c>k0 += 0x9E3779B9</c>, <c>k1 += 0xBB67AE85</c> (wrapping).
/// </para>
/// <para>
/// The output matches Random123's <c>philox4x32_R(10, ctr, key)</c>, word for word, on every platform: it is
/// integer arithmetic only, so GPU kernels must reproduce it exactly.
/// </para>
/// </remarks>
public static class Philox4x32
{
    /// <summary>Number of rounds (the "-10" of Philox4x32-10).</summary>
    public const int Rounds = 10;

    /// <summary>Multiplier applied to counter word 0.</summary>
    public const uint Multiplier0 = 0xD2511F53;

    /// <summary>Multiplier applied to counter word 2.</summary>
    public const uint Multiplier1 = 0xCD9E8D57;

    /// <summary>Weyl increment added to key word 0 between rounds (golden ratio).</summary>
    public const uint Weyl0 = 0x9E3779B9;

    /// <summary>Weyl increment added to key word 1 between rounds (sqrt(3) - 1).</summary>
    public const uint Weyl1 = 0xBB67AE85;

    /// <summary>Computes one Philox4x32-10 block.</summary>
    /// <param name="c0">Counter word 0 (least significant).</param>
    /// <param name="c1">Counter word 1.</param>
    /// <param name="c2">Counter word 2.</param>
    /// <param name="c3">Counter word 3 (most significant).</param>
    /// <param name="k0">Key word 0.</param>
    /// <param name="k1">Key word 1.</param>
    /// <param name="r0">Output word 0.</param>
    /// <param name="r1">Output word 1.</param>
    /// <param name="r2">Output word 2.</param>
    /// <param name="r3">Output word 3.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(
        uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        out uint r0, out uint r1, out uint r2, out uint r3)
    {
        // Unrolled by hand: the JIT keeps everything in registers, and the round count is part of the contract.
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); Bump(ref k0, ref k1);
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        r0 = c0;
        r1 = c1;
        r2 = c2;
        r3 = c3;
    }

    /// <summary>
    /// Fills <paramref name="words"/> with consecutive blocks: block <c>b</c> (counter
    /// <c>(lo32(counter + b), hi32(counter + b), 0, 0)</c>, 64-bit wrapping addition) goes to
    /// <c>words[4b .. 4b + 3]</c>. Uses AVX2 eight blocks at a time when available.
    /// </summary>
    /// <param name="k0">Key word 0.</param>
    /// <param name="k1">Key word 1.</param>
    /// <param name="counter">The 64-bit counter of the first block.</param>
    /// <param name="words">Destination; its length must be a multiple of 4.</param>
    internal static void Blocks(uint k0, uint k1, ulong counter, Span<uint> words)
    {
        int blocks = words.Length >> 2;
        int b = 0;
        if (Avx2.IsSupported)
        {
            for (; b + 8 <= blocks; b += 8)
            {
                Blocks8Avx2(k0, k1, unchecked(counter + (ulong)b), words.Slice(b << 2, 32));
            }
        }

        for (; b < blocks; b++)
        {
            ulong c = unchecked(counter + (ulong)b);
            Block((uint)c, (uint)(c >> 32), 0, 0, k0, k1, out uint r0, out uint r1, out uint r2, out uint r3);
            int w = b << 2;
            words[w] = r0;
            words[w + 1] = r1;
            words[w + 2] = r2;
            words[w + 3] = r3;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref uint c0, ref uint c1, ref uint c2, ref uint c3, uint k0, uint k1)
    {
        ulong p0 = (ulong)Multiplier0 * c0;
        ulong p1 = (ulong)Multiplier1 * c2;
        uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
        uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint)p1;
        c3 = (uint)p0;
        c0 = n0;
        c2 = n2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bump(ref uint k0, ref uint k1)
    {
        k0 = unchecked(k0 + Weyl0);
        k1 = unchecked(k1 + Weyl1);
    }

    // Eight blocks in the eight 32-bit lanes of four vectors (one vector per counter word), then a 4x8 transpose
    // so that the output is in the same block-major order as the scalar path.
    private static void Blocks8Avx2(uint k0, uint k1, ulong counter, Span<uint> words)
    {
        uint baseLo = (uint)counter;
        Vector256<uint> x0 = Vector256.Create(baseLo) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        // A lane whose low word wrapped past 2^32 carries one into the high word; the comparison mask is
        // all ones (-1) there, so subtracting it adds the carry.
        Vector256<uint> carry = Vector256.LessThan(x0, Vector256.Create(baseLo));
        Vector256<uint> x1 = Vector256.Create((uint)(counter >> 32)) - carry;
        Vector256<uint> x2 = Vector256<uint>.Zero;
        Vector256<uint> x3 = Vector256<uint>.Zero;
        Vector256<uint> m0 = Vector256.Create(Multiplier0);
        Vector256<uint> m1 = Vector256.Create(Multiplier1);

        for (int round = 0; round < Rounds; round++)
        {
            Vector256<uint> key0 = Vector256.Create(k0);
            Vector256<uint> key1 = Vector256.Create(k1);
            MulHiLo(x0, m0, out Vector256<uint> hi0, out Vector256<uint> lo0);
            MulHiLo(x2, m1, out Vector256<uint> hi1, out Vector256<uint> lo1);
            x0 = hi1 ^ x1 ^ key0;
            x1 = lo1;
            x2 = hi0 ^ x3 ^ key1;
            x3 = lo0;
            Bump(ref k0, ref k1);
        }

        Vector256<uint> t0 = Avx2.UnpackLow(x0, x1);
        Vector256<uint> t1 = Avx2.UnpackHigh(x0, x1);
        Vector256<uint> t2 = Avx2.UnpackLow(x2, x3);
        Vector256<uint> t3 = Avx2.UnpackHigh(x2, x3);
        Vector256<uint> u0 = Avx2.UnpackLow(t0.AsUInt64(), t2.AsUInt64()).AsUInt32();   // blocks 0 and 4
        Vector256<uint> u1 = Avx2.UnpackHigh(t0.AsUInt64(), t2.AsUInt64()).AsUInt32();  // blocks 1 and 5
        Vector256<uint> u2 = Avx2.UnpackLow(t1.AsUInt64(), t3.AsUInt64()).AsUInt32();   // blocks 2 and 6
        Vector256<uint> u3 = Avx2.UnpackHigh(t1.AsUInt64(), t3.AsUInt64()).AsUInt32();  // blocks 3 and 7
        Avx2.Permute2x128(u0, u1, 0x20).CopyTo(words);
        Avx2.Permute2x128(u2, u3, 0x20).CopyTo(words[8..]);
        Avx2.Permute2x128(u0, u1, 0x31).CopyTo(words[16..]);
        Avx2.Permute2x128(u2, u3, 0x31).CopyTo(words[24..]);
    }

    // Full 32x32->64 products of all eight lanes: vpmuludq only multiplies the even lanes, so the odd lanes are
    // shifted down, multiplied separately, and the halves are blended back into place.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulHiLo(Vector256<uint> x, Vector256<uint> m, out Vector256<uint> hi, out Vector256<uint> lo)
    {
        Vector256<ulong> even = Avx2.Multiply(x, m);
        Vector256<ulong> odd = Avx2.Multiply(Avx2.ShiftRightLogical(x.AsUInt64(), 32).AsUInt32(), m);
        lo = Avx2.Blend(even.AsUInt32(), Avx2.ShiftLeftLogical(odd, 32).AsUInt32(), 0b1010_1010);
        hi = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsUInt32(), odd.AsUInt32(), 0b1010_1010);
    }
}
