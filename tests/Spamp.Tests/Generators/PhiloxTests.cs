using NUnit.Framework;


namespace Spamp.Tests.Generators;

[TestFixture]
public sealed class PhiloxTests
{
    private const int StatN = 1_000_000;

    // Random123 kat_vectors, "philox4x32 10" lines: counter (4 words), key (2 words), expected output.
    [TestCase(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [TestCase(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
        0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [TestCase(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
        0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Block_MatchesRandom123KnownAnswers(
        uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        Philox4x32.Block(c0, c1, c2, c3, k0, k1, out uint r0, out uint r1, out uint r2, out uint r3);
        Assert.That(new[] { r0, r1, r2, r3 }, Is.EqualTo(new[] { e0, e1, e2, e3 }));
    }

    // The batched (AVX2 where available) path must equal the scalar block, including the carry from the low to
    // the high counter word and the wrap of the 64-bit counter.
    [TestCase(0UL, 0UL, 37)]
    [TestCase(0x0123456789ABCDEFUL, 0xFFFFFFF9UL, 29)]
    [TestCase(0xFFFFFFFFFFFFFFFFUL, 0xFFFFFFFFFFFFFFF5UL, 24)]
    public void Blocks_MatchScalarBlock(ulong seed, ulong counter, int blocks)
    {
        var words = new uint[blocks * 4];
        Philox4x32.Blocks((uint)seed, (uint)(seed >> 32), counter, words);
        var expected = new uint[blocks * 4];
        for (int b = 0; b < blocks; b++)
        {
            for (int w = 0; w < 4; w++)
            {
                expected[(b * 4) + w] = PhiloxStream.BlockWord(seed, unchecked(counter + (ulong)b), w);
            }
        }

        Assert.That(words, Is.EqualTo(expected));
    }

    [Test]
    public void Bits32_IsWordOfBlockAtOffsetPlusQuarterIndex()
    {
        const ulong seed = 0xA4093822_299F31D0UL;
        Philox4x32.Block(0x243f6a88u + 3, 0, 0, 0, 0x299f31d0u, 0xa4093822u, out _, out _, out uint r2, out _);
        Assert.That(PhiloxStream.Bits32(seed, 0x243f6a88UL, 14), Is.EqualTo(r2));
    }

    [Test]
    public void SameSeed_SameNumbers_DifferentSeed_DifferentNumbers()
    {
        var a = new float[1000];
        var b = new float[1000];
        var c = new float[1000];
        new Generator(7).FillNormal(a);
        new Generator(7).FillNormal(b);
        new Generator(8).FillNormal(c);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(CountEqual(a, c), Is.LessThan(5));

        // Seeds differing only in the high 32 bits (the second key word) must differ too.
        var d = new float[1000];
        new Generator(7UL | (1UL << 32)).FillNormal(d);
        Assert.That(CountEqual(a, d), Is.LessThan(5));
    }

    [Test]
    public void SuccessiveDraws_AdvanceOffsetByConsumedBlocks()
    {
        var g = new Generator(123);
        g.FillUniform(new float[10]);
        Assert.That(g.Offset, Is.EqualTo(3UL));
        g.FillNormal(new float[5]);
        Assert.That(g.Offset, Is.EqualTo(6UL));
        g.FillUniform(new double[4]);
        Assert.That(g.Offset, Is.EqualTo(8UL));
        g.FillBernoulli(new byte[1], 0.5);
        Assert.That(g.Offset, Is.EqualTo(9UL));
        g.FillNormal(Span<double>.Empty);
        Assert.That(g.Offset, Is.EqualTo(9UL));
    }

    [Test]
    public void OneDraw_EqualsTwoHalfDraws_WhenHalfIsWholeBlocks()
    {
        var whole = new float[4096];
        new Generator(99).FillUniform(whole);
        var g = new Generator(99);
        var first = new float[2048];
        var second = new float[2048];
        g.FillUniform(first);
        g.FillUniform(second);
        Assert.That(first.Concat(second).ToArray(), Is.EqualTo(whole));
    }

    [Test]
    public void SecondHalfDraw_StartsOnFreshBlock_WhenHalfIsNotWholeBlocks()
    {
        const ulong seed = 5;
        var g = new Generator(seed);
        var first = new float[5];
        var second = new float[5];
        g.FillUniform(first);
        g.FillUniform(second);
        var whole = new float[10];
        new Generator(seed).FillUniform(whole);

        Assert.That(first, Is.EqualTo(whole[..5]));
        // ceil(5 / 4) = 2 blocks consumed, so the second draw is the stream at offset 2, not element 5 onwards.
        for (int i = 0; i < 5; i++)
        {
            Assert.That(second[i], Is.EqualTo(PhiloxStream.UniformFloat(seed, 2, i)));
        }

        Assert.That(second, Is.Not.EqualTo(whole[5..]));

        // Pair family: 3 normals consume 2 blocks.
        var n1 = new double[3];
        var n2 = new double[3];
        g.FillNormal(n1);
        g.FillNormal(n2);
        Assert.That(n2[0], Is.EqualTo(PhiloxStream.NormalDouble(seed, 4 + 2, 0)));
        Assert.That(g.Offset, Is.EqualTo(8UL));
    }

    [Test]
    public void UniformFloat_MeanAndVariance()
    {
        var x = new float[StatN];
        new Generator(1).FillUniform(x);
        Assert.That(x.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(x.Max(), Is.LessThan(1f));
        CheckMoments(x.Select(v => (double)v).ToArray(), 0.5, 1.0 / 12, 1.0 / 180);
    }

    [Test]
    public void UniformDouble_MeanAndVariance_InRange()
    {
        var x = new double[StatN];
        new Generator(2).FillUniform(x, -2.0, 3.0);
        Assert.That(x.Min(), Is.GreaterThanOrEqualTo(-2.0));
        Assert.That(x.Max(), Is.LessThan(3.0));
        // Uniform on [a, b): variance (b-a)^2/12, variance of (x-mu)^2 is (b-a)^4/180.
        CheckMoments(x, 0.5, 25.0 / 12, 625.0 / 180);
    }

    [Test]
    public void NormalFloat_MeanAndVariance()
    {
        var x = new float[StatN];
        new Generator(3).FillNormal(x, 1.5f, 2f);
        // Normal: variance of (x-mu)^2 is 2 sigma^4.
        CheckMoments(x.Select(v => (double)v).ToArray(), 1.5, 4.0, 32.0);
    }

    [Test]
    public void NormalDouble_MeanAndVariance()
    {
        var x = new double[StatN];
        new Generator(4).FillNormal(x);
        CheckMoments(x, 0.0, 1.0, 2.0);
        Assert.That(x.All(double.IsFinite), Is.True);
    }

    [TestCase(0.3)]
    [TestCase(0.9)]
    public void Bernoulli_Rate(double p)
    {
        var x = new byte[StatN];
        new Generator(5).FillBernoulli(x, p);
        Assert.That(x.All(v => v <= 1), Is.True);
        double rate = x.Sum(v => (double)v) / StatN;
        Assert.That(rate, Is.EqualTo(p).Within(5 * Math.Sqrt(p * (1 - p) / StatN)));
    }

    // The kernels compare integers against ceil(p * 2^24); the reference compares float64 values. Probe p on,
    // just above and just below multiples of 2^-24, and tiny p.
    [TestCase(0.5)]
    [TestCase(0.5000000000000001)]
    [TestCase(0.49999999999999994)]
    [TestCase(1e-300)]
    [TestCase(5.9604644775390625e-8)]
    [TestCase(0.9999999403953552)]
    public void BernoulliKernel_EqualsReference_AtBoundaries(double p)
    {
        // Random words rarely land next to p * 2^24, so the integer rule is also checked on the neighbours directly.
        var x = new byte[10_000];
        PhiloxStream.FillBernoulli(RefSeed, 0, x, p);
        AssertAll(x, i => PhiloxStream.Bernoulli(RefSeed, 0, i, p) ? (byte)1 : (byte)0);
        double scaled = p * 16777216.0;
        uint threshold = (uint)Math.Ceiling(scaled);
        for (uint k = threshold > 2 ? threshold - 2 : 0; k <= threshold + 2 && k < (1u << 24); k++)
        {
            Assert.That(k < threshold, Is.EqualTo(k / 16777216.0 < p), $"k = {k}");
        }
    }

    [Test]
    public void Bernoulli_ZeroAndOne_AreDegenerate()
    {
        var zeros = new float[1000];
        var ones = new bool[1000];
        new Generator(6).FillBernoulli(zeros, 0.0);
        new Generator(6).FillBernoulli(ones, 1.0);
        Assert.That(zeros.All(v => v == 0f), Is.True);
        Assert.That(ones.All(v => v), Is.True);
    }

    // 300,001 elements: several parallel chunks, a partial last block, a seed using both key words and an offset
    // whose low word wraps mid-draw.
    private const int ParallelN = 300_001;
    private const ulong RefSeed = 0x9E3779B97F4A7C15UL;
    private const ulong RefOffset = 0xFFFFFFFFUL - 20_000;

    [Test]
    public void ParallelFillUniformFloat_EqualsReference()
    {
        var x = new float[ParallelN];
        PhiloxStream.FillUniform(RefSeed, RefOffset, x, -1f, 4f);
        AssertAll(x, i => PhiloxStream.UniformFloat(RefSeed, RefOffset, i, -1f, 4f));
    }

    [Test]
    public void ParallelFillUniformDouble_EqualsReference()
    {
        var x = new double[ParallelN];
        PhiloxStream.FillUniform(RefSeed, RefOffset, x);
        AssertAll(x, i => PhiloxStream.UniformDouble(RefSeed, RefOffset, i));
    }

    [Test]
    public void ParallelFillNormalFloat_EqualsReference()
    {
        var x = new float[ParallelN];
        PhiloxStream.FillNormal(RefSeed, RefOffset, x, 0.25f, 3f);
        AssertAll(x, i => PhiloxStream.NormalFloat(RefSeed, RefOffset, i, 0.25f, 3f));
    }

    [Test]
    public void ParallelFillNormalDouble_EqualsReference()
    {
        var x = new double[ParallelN];
        PhiloxStream.FillNormal(RefSeed, RefOffset, x, -1.0, 0.5);
        AssertAll(x, i => PhiloxStream.NormalDouble(RefSeed, RefOffset, i, -1.0, 0.5));
    }

    [Test]
    public void ParallelFillBernoulli_EqualsReference()
    {
        var f = new float[ParallelN];
        var b = new bool[ParallelN];
        PhiloxStream.FillBernoulli(RefSeed, RefOffset, f, 0.37);
        PhiloxStream.FillBernoulli(RefSeed, RefOffset, b, 0.37);
        AssertAll(f, i => PhiloxStream.Bernoulli(RefSeed, RefOffset, i, 0.37) ? 1f : 0f);
        AssertAll(b, i => PhiloxStream.Bernoulli(RefSeed, RefOffset, i, 0.37));
    }

    [Test]
    public void GeneratorFill_EqualsStreamAtReservedOffset()
    {
        var g = new Generator(RefSeed);
        g.SetState(new GeneratorState(RefSeed, 1234));
        var x = new float[1001];
        g.FillNormal(x);
        AssertAll(x, i => PhiloxStream.NormalFloat(RefSeed, 1234, i));
        Assert.That(g.Offset, Is.EqualTo(1234UL + 501));
    }

    [Test]
    public void StateSaveRestore_ReproducesDraw()
    {
        var g = new Generator(77);
        g.FillUniform(new float[13]);
        GeneratorState saved = g.GetState();
        var a = new double[999];
        g.FillNormal(a);
        g.FillUniform(new float[5]);
        g.SetState(saved);
        var b = new double[999];
        g.FillNormal(b);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(saved, Is.EqualTo(new GeneratorState(77, 4)));
    }

    [Test]
    public void ManualSeed_ReseedsDefaultAndRewinds()
    {
        GeneratorState before = Generator.Default.GetState();
        try
        {
            Generator.ManualSeed(42);
            var a = new float[16];
            Generator.Default.FillUniform(a);
            Generator.ManualSeed(42);
            var b = new float[16];
            Generator.Default.FillUniform(b);
            Assert.That(b, Is.EqualTo(a));
            Assert.That(Generator.Default.GetState(), Is.EqualTo(new GeneratorState(42, 4)));
        }
        finally
        {
            Generator.Default.SetState(before);
        }
    }

    [Test]
    public void ConcurrentReservations_AreDisjoint()
    {
        var g = new Generator(0);
        var starts = new ulong[1000];
        Parallel.For(0, starts.Length, i => starts[i] = g.Reserve(3));
        Assert.That(g.Offset, Is.EqualTo(3000UL));
        Assert.That(starts.Distinct().Count(), Is.EqualTo(starts.Length));
        Assert.That(starts.All(s => s % 3 == 0), Is.True);
    }

    [Test]
    public void InvalidArguments_ThrowWithoutConsumingCounters()
    {
        var g = new Generator(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => g.FillBernoulli(new float[4], 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.FillBernoulli(new float[4], double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.FillNormal(new float[4], 0f, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.FillUniform(new float[4], 2f, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.FillUniform(new float[4], -float.MaxValue, float.MaxValue));
        Assert.That(g.Offset, Is.EqualTo(0UL));
    }

    [Test]
    public void ScaleUniform_ClampsRoundingOntoHigh()
    {
        const float x = 1f - (1f / 16777216f); // largest unit uniform
        // 2^24 + 2 * x rounds to 2^24 + 2 = high; the contract clamps to the float below high.
        Assert.That(PhiloxStream.ScaleUniform(x, 16777216f, 16777218f), Is.EqualTo(16777216f));
        Assert.That(PhiloxStream.ScaleUniform(x, 0f, 1f), Is.EqualTo(x));
        Assert.That(PhiloxStream.ScaleUniform(0.5f, 3f, 3f), Is.EqualTo(3f));
        Assert.That(PhiloxStream.ScaleUniform(1.0 - Math.Pow(2, -53), 1e300, 1e300 * (1 + 1e-15)), Is.LessThan(1e300 * (1 + 1e-15)));
    }

    [Test]
    public void BlockCounts()
    {
        Assert.That(PhiloxStream.BlocksFor32(0), Is.EqualTo(0UL));
        Assert.That(PhiloxStream.BlocksFor32(1), Is.EqualTo(1UL));
        Assert.That(PhiloxStream.BlocksFor32(8), Is.EqualTo(2UL));
        Assert.That(PhiloxStream.BlocksFor32(9), Is.EqualTo(3UL));
        Assert.That(PhiloxStream.BlocksForPairs(7), Is.EqualTo(4UL));
        Assert.That(PhiloxStream.BlocksForPairs(8), Is.EqualTo(4UL));
    }

    private static void CheckMoments(double[] x, double mean, double variance, double varianceOfSquare)
    {
        double n = x.Length;
        double m = x.Average();
        double v = x.Sum(e => (e - mean) * (e - mean)) / n;
        Assert.That(m, Is.EqualTo(mean).Within(5 * Math.Sqrt(variance / n)));
        Assert.That(v, Is.EqualTo(variance).Within(5 * Math.Sqrt(varianceOfSquare / n)));
    }

    private static void AssertAll<T>(T[] actual, Func<long, T> reference)
    {
        for (long i = 0; i < actual.Length; i++)
        {
            T expected = reference(i);
            if (!EqualityComparer<T>.Default.Equals(actual[i], expected))
            {
                Assert.Fail($"Element {i}: got {actual[i]}, reference {expected}.");
            }
        }
    }

    private static int CountEqual(float[] a, float[] b)
    {
        int count = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i])
            {
                count++;
            }
        }

        return count;
    }
}
