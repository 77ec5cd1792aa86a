using System.Runtime.CompilerServices;

namespace Spamp;

/// <summary>
/// The random stream every Spamp device must reproduce: element <c>i</c> of a draw is a pure function of
/// <c>(seed, offset, i)</c>, so a GPU kernel computes each element (or each Philox block) independently.
/// </summary>
/// <remarks>
/// <para><b>Blocks.</b> <c>B(seed, c)</c> is <see cref="Philox4x32.Block"/> with key
/// <c>(k0, k1) = (lo32(seed), hi32(seed))</c> and counter <c>(lo32(c), hi32(c), 0, 0)</c>, giving words
/// <c>w0..w3</c>. All counter arithmetic is unsigned 64-bit and wraps modulo 2^64. Counter words 2 and 3 are
/// always zero (reserved for future sub-streams).</para>
///
/// <para><b>32-bit family</b> (uniform float32, bernoulli). Element <c>i</c> takes word <c>i % 4</c> of
/// <c>B(seed, offset + i / 4)</c>, call it <c>u</c>. A draw of <c>n</c> elements consumes
/// <c>ceil(n / 4)</c> counter values (<see cref="BlocksFor32"/>).</para>
/// <list type="bullet">
/// <item><description>uniform float32 in [0, 1): <c>x = (u &gt;&gt; 8) * 2^-24</c> (exact).</description></item>
/// <item><description>uniform float32 in [low, high): <c>d = high - low; t = d * x; y = low + t</c>, each
/// operation a separately rounded float32 operation (round to nearest even, <b>no FMA contraction</b>: in CUDA
/// use <c>__fsub_rn/__fmul_rn/__fadd_rn</c> or <c>-fmad=false</c>; in OpenCL do not enable
/// <c>FP_CONTRACT</c>). If <c>high &gt; low</c> and rounding gives <c>y &gt;= high</c>, <c>y</c> becomes the
/// largest float32 below <c>high</c> (<c>nextafterf(high, -inf)</c>), so the result stays in [low, high).
/// With <c>low = 0, high = 1</c> this is exactly <c>x</c>.</description></item>
/// <item><description>bernoulli(p): element is 1 when <c>(u &gt;&gt; 8) * 2^-24 &lt; p</c>, compared in
/// float64 (exact, since both sides are float64 values), otherwise 0. p = 0 never fires, p = 1 always does.
/// Equivalently, in integers: <c>(u &gt;&gt; 8) &lt; ceil(p * 2^24)</c>.</description></item>
/// </list>
///
/// <para><b>Pair family</b> (uniform float64, normal float32, normal float64). Pair <c>j = i / 2</c> uses
/// block <c>B(seed, offset + j)</c>; a draw of <c>n</c> elements consumes <c>ceil(n / 2)</c> counter values
/// (<see cref="BlocksForPairs"/>). With <c>U53(a, b) = ((a &gt;&gt; 5) * 2^26 + (b &gt;&gt; 6)) * 2^-53</c>
/// (exact in float64, in [0, 1)):</para>
/// <list type="bullet">
/// <item><description>uniform float64 in [0, 1): element <c>2j</c> is <c>U53(w0, w1)</c>, element
/// <c>2j + 1</c> is <c>U53(w2, w3)</c>. The [low, high) scaling is the float64 analogue of the float32 rule
/// above (separately rounded float64 subtract, multiply, add; clamp to <c>nextafter(high, -inf)</c>).
/// </description></item>
/// <item><description>normal float32: <c>u1 = ((w0 &gt;&gt; 8) + 1) * 2^-24</c> in (0, 1],
/// <c>u2 = (w1 &gt;&gt; 8) * 2^-24</c> in [0, 1); in float64, <c>r = sqrt(-2 ln u1)</c>,
/// <c>z0 = r cos(2 pi u2)</c>, <c>z1 = r sin(2 pi u2)</c> (the reference evaluates the angle as
/// <c>sincospi(2 u2)</c>); element <c>2j</c> is <c>(float)(mean + std * z0)</c>, element <c>2j + 1</c> is
/// <c>(float)(mean + std * z1)</c>, the affine map in float64. Words w2, w3 are unused.</description></item>
/// <item><description>normal float64: the same with <c>u1 = U53(w0, w1) + 2^-53</c> in (0, 1] and
/// <c>u2 = U53(w2, w3)</c>, output <c>mean + std * z</c> in float64.</description></item>
/// </list>
///
/// <para><b>Device tolerance.</b> Uniform and bernoulli draws are integer and exactly rounded operations and
/// must match bit for bit. Normal draws go through log, sqrt, sin and cos, whose last bit differs between math
/// libraries, so a device kernel must agree with this reference to within 4 ulp of the reference output, or
/// <c>2^-20 * |std|</c> absolute (float32) / <c>2^-48 * |std|</c> absolute (float64) near zero, whichever is
/// larger. A float32 normal kernel may therefore evaluate Box-Muller in float64 (matches to rounding) or with
/// accurate, non-fast-math float32 <c>logf/sqrtf/sincospif</c>.</para>
///
/// <para><b>Successive draws.</b> A generator reserves the counter range a draw consumes before filling it,
/// so consecutive draws use disjoint counters and never overlap. Splitting one draw of <c>n</c> elements into
/// two draws of <c>n1 + n2</c> reproduces the same numbers only when <c>n1</c> is a multiple of the elements
/// per block (4 or 2); otherwise the second draw starts on a fresh block.</para>
/// </remarks>
public static class PhiloxStream
{
    /// <summary>Elements one Philox block yields in the 32-bit family (uniform float32, bernoulli).</summary>
    public const int ElementsPerBlock32 = 4;

    /// <summary>Elements one Philox block yields in the pair family (uniform float64, normals).</summary>
    public const int ElementsPerBlockPair = 2;

    // Chunks handed to Parallel.For: large enough that scheduling overhead vanishes, a multiple of both block
    // sizes so no block straddles two chunks.
    private const int ChunkElements = 1 << 16;

    // Blocks generated per batch into a stack buffer before mapping (a multiple of the 8-block AVX2 width).
    private const int BatchBlocks = 64;

    private const float TwoPowMinus24F = 1.0f / 16777216.0f;
    private const double TwoPowMinus24 = 1.0 / 16777216.0;
    private const double TwoPow26 = 67108864.0;
    private const double TwoPowMinus53 = 1.0 / 9007199254740992.0;

    /// <summary>Counter values consumed by a 32-bit-family draw of <paramref name="count"/> elements.</summary>
    /// <param name="count">Number of elements (non-negative).</param>
    /// <returns><c>ceil(count / 4)</c>.</returns>
    public static ulong BlocksFor32(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return (ulong)(count / ElementsPerBlock32) + (count % ElementsPerBlock32 != 0 ? 1UL : 0UL);
    }

    /// <summary>Counter values consumed by a pair-family draw of <paramref name="count"/> elements.</summary>
    /// <param name="count">Number of elements (non-negative).</param>
    /// <returns><c>ceil(count / 2)</c>.</returns>
    public static ulong BlocksForPairs(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return (ulong)(count / ElementsPerBlockPair) + (count % ElementsPerBlockPair != 0 ? 1UL : 0UL);
    }

    // ---------------------------------------------------------------- reference (pure, element by element)

    /// <summary>Word <paramref name="word"/> (0..3) of block <c>B(seed, counter)</c>.</summary>
    /// <param name="seed">The generator seed (the Philox key).</param>
    /// <param name="counter">The 64-bit block counter.</param>
    /// <param name="word">Which of the four output words.</param>
    /// <returns>The 32-bit word.</returns>
    public static uint BlockWord(ulong seed, ulong counter, int word)
    {
        Philox4x32.Block(
            (uint)counter, (uint)(counter >> 32), 0, 0, (uint)seed, (uint)(seed >> 32),
            out uint r0, out uint r1, out uint r2, out uint r3);
        return word switch
        {
            0 => r0,
            1 => r1,
            2 => r2,
            3 => r3,
            _ => throw new ArgumentOutOfRangeException(nameof(word)),
        };
    }

    /// <summary>The raw 32-bit random value of element <paramref name="index"/> in the 32-bit family.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="index">Element index (non-negative).</param>
    /// <returns>Word <c>index % 4</c> of <c>B(seed, offset + index / 4)</c>.</returns>
    public static uint Bits32(ulong seed, ulong offset, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return BlockWord(seed, unchecked(offset + (ulong)(index >> 2)), (int)(index & 3));
    }

    /// <summary>Reference value of element <paramref name="index"/> of a uniform float32 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="index">Element index (non-negative).</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    /// <returns>A value in [low, high) (exactly <c>low</c> when they are equal).</returns>
    public static float UniformFloat(ulong seed, ulong offset, long index, float low = 0f, float high = 1f)
    {
        CheckRange(low, high);
        return ScaleUniform(UnitFloat(Bits32(seed, offset, index)), low, high);
    }

    /// <summary>Reference value of element <paramref name="index"/> of a uniform float64 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="index">Element index (non-negative).</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    /// <returns>A value in [low, high) (exactly <c>low</c> when they are equal).</returns>
    public static double UniformDouble(ulong seed, ulong offset, long index, double low = 0.0, double high = 1.0)
    {
        CheckRange(low, high);
        PairBlock(seed, offset, index, out uint w0, out uint w1, out uint w2, out uint w3);
        double x = (index & 1) == 0 ? Unit53(w0, w1) : Unit53(w2, w3);
        return ScaleUniform(x, low, high);
    }

    /// <summary>Reference value of element <paramref name="index"/> of a normal float32 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="index">Element index (non-negative).</param>
    /// <param name="mean">Mean of the distribution.</param>
    /// <param name="std">Standard deviation (non-negative).</param>
    /// <returns>The sample, computed in float64 and rounded once to float32.</returns>
    public static float NormalFloat(ulong seed, ulong offset, long index, float mean = 0f, float std = 1f)
    {
        CheckNormal(std);
        PairBlock(seed, offset, index, out uint w0, out uint w1, out _, out _);
        BoxMuller(UnitOpenFloat(w0), UnitFloatAsDouble(w1), out double z0, out double z1);
        return (float)(mean + ((double)std * ((index & 1) == 0 ? z0 : z1)));
    }

    /// <summary>Reference value of element <paramref name="index"/> of a normal float64 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="index">Element index (non-negative).</param>
    /// <param name="mean">Mean of the distribution.</param>
    /// <param name="std">Standard deviation (non-negative).</param>
    /// <returns>The sample.</returns>
    public static double NormalDouble(ulong seed, ulong offset, long index, double mean = 0.0, double std = 1.0)
    {
        CheckNormal(std);
        PairBlock(seed, offset, index, out uint w0, out uint w1, out uint w2, out uint w3);
        BoxMuller(Unit53(w0, w1) + TwoPowMinus53, Unit53(w2, w3), out double z0, out double z1);
        return mean + (std * ((index & 1) == 0 ? z0 : z1));
    }

    /// <summary>Reference value of element <paramref name="index"/> of a bernoulli draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="index">Element index (non-negative).</param>
    /// <param name="p">Probability of a one, in [0, 1].</param>
    /// <returns>Whether the element is one.</returns>
    public static bool Bernoulli(ulong seed, ulong offset, long index, double p)
    {
        CheckProbability(p);
        return UnitFloatAsDouble(Bits32(seed, offset, index)) < p;
    }

    /// <summary>Maps a float32 unit uniform onto [low, high) by the stream's exact rounding rule.</summary>
    /// <param name="x">A value in [0, 1).</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    /// <returns><c>low + (high - low) * x</c>, separately rounded, clamped below <c>high</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ScaleUniform(float x, float low, float high)
    {
        // Written as three statements so that no compiler is tempted to fuse the multiply and the add:
        // a fused result would differ in the last bit from a GPU kernel that follows the contract.
        float d = high - low;
        float t = d * x;
        float y = low + t;
        return y >= high && high > low ? float.BitDecrement(high) : y;
    }

    /// <summary>Maps a float64 unit uniform onto [low, high) by the stream's exact rounding rule.</summary>
    /// <param name="x">A value in [0, 1).</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    /// <returns><c>low + (high - low) * x</c>, separately rounded, clamped below <c>high</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ScaleUniform(double x, double low, double high)
    {
        double d = high - low;
        double t = d * x;
        double y = low + t;
        return y >= high && high > low ? double.BitDecrement(high) : y;
    }

    // ---------------------------------------------------------------- bulk fills (what Generator calls)

    /// <summary>Fills <paramref name="dest"/> with elements <c>0..n-1</c> of a uniform float32 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    public static void FillUniform(ulong seed, ulong offset, Span<float> dest, float low = 0f, float high = 1f)
    {
        CheckRange(low, high);
        Run32(seed, offset, dest, new UniformFloatMap(low, high));
    }

    /// <summary>Fills <paramref name="dest"/> with elements <c>0..n-1</c> of a uniform float64 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    public static void FillUniform(ulong seed, ulong offset, Span<double> dest, double low = 0.0, double high = 1.0)
    {
        CheckRange(low, high);
        RunPairs(seed, offset, dest, new UniformDoubleMap(low, high));
    }

    /// <summary>Fills <paramref name="dest"/> with elements <c>0..n-1</c> of a normal float32 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation (non-negative).</param>
    public static void FillNormal(ulong seed, ulong offset, Span<float> dest, float mean = 0f, float std = 1f)
    {
        CheckNormal(std);
        RunPairs(seed, offset, dest, new NormalFloatMap(mean, std));
    }

    /// <summary>Fills <paramref name="dest"/> with elements <c>0..n-1</c> of a normal float64 draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation (non-negative).</param>
    public static void FillNormal(ulong seed, ulong offset, Span<double> dest, double mean = 0.0, double std = 1.0)
    {
        CheckNormal(std);
        RunPairs(seed, offset, dest, new NormalDoubleMap(mean, std));
    }

    /// <summary>Fills <paramref name="dest"/> with a bernoulli draw written as 0 or 1.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of a one, in [0, 1].</param>
    public static void FillBernoulli(ulong seed, ulong offset, Span<float> dest, double p)
    {
        CheckProbability(p);
        Run32(seed, offset, dest, new BernoulliFloatMap(p));
    }

    /// <summary>Fills <paramref name="dest"/> with a bernoulli draw written as 0 or 1.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of a one, in [0, 1].</param>
    public static void FillBernoulli(ulong seed, ulong offset, Span<double> dest, double p)
    {
        CheckProbability(p);
        Run32(seed, offset, dest, new BernoulliDoubleMap(p));
    }

    /// <summary>Fills <paramref name="dest"/> with a bernoulli draw written as 0 or 1.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of a one, in [0, 1].</param>
    public static void FillBernoulli(ulong seed, ulong offset, Span<byte> dest, double p)
    {
        CheckProbability(p);
        Run32(seed, offset, dest, new BernoulliByteMap(p));
    }

    /// <summary>Fills <paramref name="dest"/> with a bernoulli draw.</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="offset">Counter offset of the draw.</param>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of <see langword="true"/>, in [0, 1].</param>
    public static void FillBernoulli(ulong seed, ulong offset, Span<bool> dest, double p)
    {
        CheckProbability(p);
        Run32(seed, offset, dest, new BernoulliBoolMap(p));
    }

    // ---------------------------------------------------------------- argument checks (shared with Generator)

    internal static void CheckRange(float low, float high)
    {
        if (!float.IsFinite(low) || !float.IsFinite(high) || low > high || !float.IsFinite(high - low))
        {
            throw new ArgumentOutOfRangeException(nameof(high), $"Uniform range [{low}, {high}) must be finite with low <= high.");
        }
    }

    internal static void CheckRange(double low, double high)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high || !double.IsFinite(high - low))
        {
            throw new ArgumentOutOfRangeException(nameof(high), $"Uniform range [{low}, {high}) must be finite with low <= high.");
        }
    }

    internal static void CheckNormal(double std)
    {
        if (!(std >= 0.0) || double.IsInfinity(std))
        {
            throw new ArgumentOutOfRangeException(nameof(std), $"Standard deviation {std} must be finite and non-negative.");
        }
    }

    internal static void CheckProbability(double p)
    {
        if (!(p >= 0.0 && p <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"Probability {p} must lie in [0, 1].");
        }
    }

    // ---------------------------------------------------------------- word-to-value maps

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float UnitFloat(uint w) => (w >> 8) * TwoPowMinus24F;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double UnitFloatAsDouble(uint w) => (w >> 8) * TwoPowMinus24;

    // ((w >> 8) + 1) * 2^-24 lies in (0, 1], so the logarithm in Box-Muller is finite.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double UnitOpenFloat(uint w) => ((w >> 8) + 1) * TwoPowMinus24;

    // For an integer k, k * 2^-24 < p exactly when k < ceil(p * 2^24); scaling by 2^24 is exact, so the kernels
    // compare integers and agree bit for bit with the float64 comparison in the contract.
    private static uint BernoulliThreshold(double p) => (uint)Math.Ceiling(p * 16777216.0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Unit53(uint a, uint b) => (((a >> 5) * TwoPow26) + (b >> 6)) * TwoPowMinus53;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BoxMuller(double u1, double u2, out double z0, out double z1)
    {
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        // sincospi(2 u2) reduces the angle exactly; 2 pi u2 would first round 2 pi.
        (double s, double c) = double.SinCosPi(2.0 * u2);
        z0 = r * c;
        z1 = r * s;
    }

    private static void PairBlock(ulong seed, ulong offset, long index, out uint w0, out uint w1, out uint w2, out uint w3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ulong c = unchecked(offset + (ulong)(index >> 1));
        Philox4x32.Block((uint)c, (uint)(c >> 32), 0, 0, (uint)seed, (uint)(seed >> 32), out w0, out w1, out w2, out w3);
    }

    // Maps are structs passed as generic arguments, so the JIT specialises each kernel and inlines the map:
    // no per-element virtual or delegate call.
    private interface IWordMap<T>
        where T : unmanaged
    {
        T Map(uint word);
    }

    private interface IPairMap<T>
        where T : unmanaged
    {
        void Map(uint w0, uint w1, uint w2, uint w3, out T first, out T second);
    }

    private readonly struct UniformFloatMap(float low, float high) : IWordMap<float>
    {
        public float Map(uint word) => ScaleUniform(UnitFloat(word), low, high);
    }

    private readonly struct BernoulliFloatMap(double p) : IWordMap<float>
    {
        private readonly uint _threshold = BernoulliThreshold(p);

        public float Map(uint word) => (word >> 8) < _threshold ? 1f : 0f;
    }

    private readonly struct BernoulliDoubleMap(double p) : IWordMap<double>
    {
        private readonly uint _threshold = BernoulliThreshold(p);

        public double Map(uint word) => (word >> 8) < _threshold ? 1.0 : 0.0;
    }

    private readonly struct BernoulliByteMap(double p) : IWordMap<byte>
    {
        private readonly uint _threshold = BernoulliThreshold(p);

        public byte Map(uint word) => (word >> 8) < _threshold ? (byte)1 : (byte)0;
    }

    private readonly struct BernoulliBoolMap(double p) : IWordMap<bool>
    {
        private readonly uint _threshold = BernoulliThreshold(p);

        public bool Map(uint word) => (word >> 8) < _threshold;
    }

    private readonly struct UniformDoubleMap(double low, double high) : IPairMap<double>
    {
        public void Map(uint w0, uint w1, uint w2, uint w3, out double first, out double second)
        {
            first = ScaleUniform(Unit53(w0, w1), low, high);
            second = ScaleUniform(Unit53(w2, w3), low, high);
        }
    }

    private readonly struct NormalFloatMap(double mean, double std) : IPairMap<float>
    {
        public void Map(uint w0, uint w1, uint w2, uint w3, out float first, out float second)
        {
            BoxMuller(UnitOpenFloat(w0), UnitFloatAsDouble(w1), out double z0, out double z1);
            first = (float)(mean + (std * z0));
            second = (float)(mean + (std * z1));
        }
    }

    private readonly struct NormalDoubleMap(double mean, double std) : IPairMap<double>
    {
        public void Map(uint w0, uint w1, uint w2, uint w3, out double first, out double second)
        {
            BoxMuller(Unit53(w0, w1) + TwoPowMinus53, Unit53(w2, w3), out double z0, out double z1);
            first = mean + (std * z0);
            second = mean + (std * z1);
        }
    }

    // ---------------------------------------------------------------- kernels

    private static unsafe void Run32<T, TMap>(ulong seed, ulong offset, Span<T> dest, TMap map)
        where T : unmanaged
        where TMap : struct, IWordMap<T>
    {
        long n = dest.Length;
        fixed (T* p = dest)
        {
            if (n <= ChunkElements)
            {
                Range32(seed, offset, p, 0, n, map);
                return;
            }

            // Spans cannot be captured by a lambda; the buffer is pinned for the duration of Parallel.For.
            nint address = (nint)p;
            long chunks = (n + ChunkElements - 1) / ChunkElements;
            Parallel.For(0L, chunks, c =>
            {
                long start = c * ChunkElements;
                Range32(seed, offset, (T*)address, start, Math.Min(n, start + ChunkElements), map);
            });
        }
    }

    private static unsafe void RunPairs<T, TMap>(ulong seed, ulong offset, Span<T> dest, TMap map)
        where T : unmanaged
        where TMap : struct, IPairMap<T>
    {
        long n = dest.Length;
        fixed (T* p = dest)
        {
            if (n <= ChunkElements)
            {
                RangePairs(seed, offset, p, 0, n, map);
                return;
            }

            nint address = (nint)p;
            long chunks = (n + ChunkElements - 1) / ChunkElements;
            Parallel.For(0L, chunks, c =>
            {
                long start = c * ChunkElements;
                RangePairs(seed, offset, (T*)address, start, Math.Min(n, start + ChunkElements), map);
            });
        }
    }

    // Writes elements [start, end) of a 32-bit-family draw: element i is word i % 4 of block offset + i / 4.
    private static unsafe void Range32<T, TMap>(ulong seed, ulong offset, T* dest, long start, long end, TMap map)
        where T : unmanaged
        where TMap : struct, IWordMap<T>
    {
        uint k0 = (uint)seed;
        uint k1 = (uint)(seed >> 32);
        Span<uint> words = stackalloc uint[BatchBlocks * 4];
        long i = start;
        while (i < end)
        {
            long block = i >> 2;
            int blocks = (int)Math.Min(BatchBlocks, ((end - 1) >> 2) - block + 1);
            Philox4x32.Blocks(k0, k1, unchecked(offset + (ulong)block), words[..(blocks * 4)]);
            long first = block << 2;
            long stop = Math.Min(end, first + (blocks * 4));
            for (; i < stop; i++)
            {
                dest[i] = map.Map(words[(int)(i - first)]);
            }
        }
    }

    // Writes elements [start, end) of a pair-family draw: elements 2j and 2j + 1 come from block offset + j.
    private static unsafe void RangePairs<T, TMap>(ulong seed, ulong offset, T* dest, long start, long end, TMap map)
        where T : unmanaged
        where TMap : struct, IPairMap<T>
    {
        uint k0 = (uint)seed;
        uint k1 = (uint)(seed >> 32);
        Span<uint> words = stackalloc uint[BatchBlocks * 4];
        long block = start >> 1;
        long lastBlock = (end - 1) >> 1;
        while (block <= lastBlock)
        {
            int blocks = (int)Math.Min(BatchBlocks, lastBlock - block + 1);
            Philox4x32.Blocks(k0, k1, unchecked(offset + (ulong)block), words[..(blocks * 4)]);
            for (int b = 0; b < blocks; b++)
            {
                int w = b * 4;
                map.Map(words[w], words[w + 1], words[w + 2], words[w + 3], out T first, out T second);
                long e = (block + b) << 1;
                // Only the first and last block of a range can be partially outside it.
                if (e >= start)
                {
                    dest[e] = first;
                }

                if (e + 1 < end)
                {
                    dest[e + 1] = second;
                }
            }

            block += blocks;
        }
    }
}
