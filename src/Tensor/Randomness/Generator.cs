namespace Spamp;

/// <summary>A checkpointable snapshot of a <see cref="Generator"/>.</summary>
/// <param name="Seed">The seed (the Philox key).</param>
/// <param name="Offset">The next unused counter value.</param>
public readonly record struct GeneratorState(ulong Seed, ulong Offset);

/// <summary>
/// A counter-based random generator: a seed (the Philox key) and an offset (the next unused Philox counter).
/// Every draw reserves the counter range it consumes and then evaluates <see cref="PhiloxStream"/> at that
/// offset, so draws are reproducible from <c>(Seed, Offset)</c> alone, on any device and any thread count.
/// </summary>
/// <remarks>
/// Reservation is lock-free and thread-safe: concurrent draws receive disjoint counter ranges (their order,
/// and hence which numbers each one gets, depends on scheduling). Changing the seed or state while draws are
/// in flight on other threads is not ordered with respect to those draws.
/// </remarks>
public sealed class Generator
{
    private readonly Lock _stateLock = new();
    private ulong _seed;
    private ulong _offset;

    /// <summary>Creates a generator with the given seed at offset 0.</summary>
    /// <param name="seed">The seed.</param>
    public Generator(ulong seed)
    {
        _seed = seed;
    }

    /// <summary>The process-wide default generator; seed 0 at start-up, reseeded by <see cref="ManualSeed"/>.</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>The seed (the Philox key).</summary>
    public ulong Seed => Volatile.Read(ref _seed);

    /// <summary>The next unused counter value; advances by the blocks each draw consumes.</summary>
    public ulong Offset => Volatile.Read(ref _offset);

    /// <summary>Reseeds <see cref="Default"/> and rewinds it to offset 0 (like <c>torch.manual_seed</c>).</summary>
    /// <param name="seed">The new seed.</param>
    public static void ManualSeed(ulong seed) => Default.SetSeed(seed);

    /// <summary>Sets the seed and rewinds the offset to 0.</summary>
    /// <param name="seed">The new seed.</param>
    public void SetSeed(ulong seed) => SetState(new GeneratorState(seed, 0));

    /// <summary>Captures the seed and offset, e.g. for a checkpoint.</summary>
    /// <returns>The current state.</returns>
    public GeneratorState GetState()
    {
        lock (_stateLock)
        {
            return new GeneratorState(Volatile.Read(ref _seed), Volatile.Read(ref _offset));
        }
    }

    /// <summary>Restores a state captured by <see cref="GetState"/>; the next draws repeat those made after it.</summary>
    /// <param name="state">The state to restore.</param>
    public void SetState(GeneratorState state)
    {
        lock (_stateLock)
        {
            Volatile.Write(ref _seed, state.Seed);
            Interlocked.Exchange(ref _offset, state.Offset);
        }
    }

    /// <summary>Atomically reserves <paramref name="blocks"/> counter values.</summary>
    /// <param name="blocks">How many counter values the draw consumes.</param>
    /// <returns>The first reserved counter value (the draw's offset).</returns>
    internal ulong Reserve(ulong blocks) => unchecked(Interlocked.Add(ref _offset, blocks) - blocks);

    /// <summary>Fills <paramref name="dest"/> with uniform samples in [low, high).</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    public void FillUniform(Span<float> dest, float low = 0f, float high = 1f)
    {
        PhiloxStream.CheckRange(low, high);
        ulong offset = Reserve(PhiloxStream.BlocksFor32(dest.Length));
        PhiloxStream.FillUniform(Seed, offset, dest, low, high);
    }

    /// <summary>Fills <paramref name="dest"/> with uniform samples in [low, high).</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    public void FillUniform(Span<double> dest, double low = 0.0, double high = 1.0)
    {
        PhiloxStream.CheckRange(low, high);
        ulong offset = Reserve(PhiloxStream.BlocksForPairs(dest.Length));
        PhiloxStream.FillUniform(Seed, offset, dest, low, high);
    }

    /// <summary>Fills <paramref name="dest"/> with normal samples.</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation (non-negative).</param>
    public void FillNormal(Span<float> dest, float mean = 0f, float std = 1f)
    {
        PhiloxStream.CheckNormal(std);
        ulong offset = Reserve(PhiloxStream.BlocksForPairs(dest.Length));
        PhiloxStream.FillNormal(Seed, offset, dest, mean, std);
    }

    /// <summary>Fills <paramref name="dest"/> with normal samples.</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation (non-negative).</param>
    public void FillNormal(Span<double> dest, double mean = 0.0, double std = 1.0)
    {
        PhiloxStream.CheckNormal(std);
        ulong offset = Reserve(PhiloxStream.BlocksForPairs(dest.Length));
        PhiloxStream.FillNormal(Seed, offset, dest, mean, std);
    }

    /// <summary>Fills <paramref name="dest"/> with bernoulli samples written as 0 or 1.</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of a one, in [0, 1].</param>
    public void FillBernoulli(Span<float> dest, double p)
    {
        PhiloxStream.CheckProbability(p);
        ulong offset = Reserve(PhiloxStream.BlocksFor32(dest.Length));
        PhiloxStream.FillBernoulli(Seed, offset, dest, p);
    }

    /// <summary>Fills <paramref name="dest"/> with bernoulli samples written as 0 or 1.</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of a one, in [0, 1].</param>
    public void FillBernoulli(Span<double> dest, double p)
    {
        PhiloxStream.CheckProbability(p);
        ulong offset = Reserve(PhiloxStream.BlocksFor32(dest.Length));
        PhiloxStream.FillBernoulli(Seed, offset, dest, p);
    }

    /// <summary>Fills <paramref name="dest"/> with bernoulli samples written as 0 or 1 (e.g. a dropout mask).</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of a one, in [0, 1].</param>
    public void FillBernoulli(Span<byte> dest, double p)
    {
        PhiloxStream.CheckProbability(p);
        ulong offset = Reserve(PhiloxStream.BlocksFor32(dest.Length));
        PhiloxStream.FillBernoulli(Seed, offset, dest, p);
    }

    /// <summary>Fills <paramref name="dest"/> with bernoulli samples.</summary>
    /// <param name="dest">Destination.</param>
    /// <param name="p">Probability of <see langword="true"/>, in [0, 1].</param>
    public void FillBernoulli(Span<bool> dest, double p)
    {
        PhiloxStream.CheckProbability(p);
        ulong offset = Reserve(PhiloxStream.BlocksFor32(dest.Length));
        PhiloxStream.FillBernoulli(Seed, offset, dest, p);
    }
}
