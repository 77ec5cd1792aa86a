using Spamp.Data;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// Training batches of any size, one call at a time, in a seeded order: epoch <c>e</c> visits the examples
/// in <see cref="RandomPermutation"/>'s permutation for (seed, e), exactly as a shuffling
/// <see cref="DataLoader"/> with <c>dropLast</c>, and a batch that would run past the end of an epoch starts
/// the next one instead (the tail is dropped). With a constant size the batches are the DataLoader's; the
/// stream exists because the batch-shift study changes the size from one step to the next, which a
/// DataLoader cannot.
/// </summary>
public sealed class BatchStream
{
    private readonly TensorDataset _data;
    private readonly ulong _seed;
    private long[] _order;
    private int _epoch;
    private int _position;
    private int _batchInEpoch;

    /// <summary>A stream over <paramref name="data"/> (not owned) ordered by <paramref name="seed"/>.</summary>
    public BatchStream(TensorDataset data, ulong seed)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _seed = seed;
        _order = RandomPermutation.Create(data.Count, seed, SeededDraws.BatchOrderStream);
    }

    /// <summary>The epoch the next batch comes from (0-based).</summary>
    public int Epoch => _epoch;

    /// <summary>
    /// The next <paramref name="size"/> examples as fresh tensors (the caller disposes the batch): inputs,
    /// targets and the padding mask when the data set has one.
    /// </summary>
    public Batch Next(int size)
    {
        if (size < 1 || size > _data.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"batch stream: a batch must hold 1 to {_data.Count} examples");
        }

        if (_position + size > _order.Length)
        {
            _epoch++;
            _position = 0;
            _batchInEpoch = 0;
            _order = RandomPermutation.Create(_data.Count, _seed, SeededDraws.BatchOrderStream + (ulong)_epoch);
        }

        using Tensor index = Tensor.From<long>(_order.AsSpan(_position, size));
        int batchIndex = _batchInEpoch++;
        _position += size;
        Tensor inputs = TensorScope.Detach(_data.Inputs.IndexSelect(0, index));
        Tensor targets = TensorScope.Detach(_data.Targets.IndexSelect(0, index));
        Tensor? mask = _data.PaddingMask is null ? null : TensorScope.Detach(_data.PaddingMask.IndexSelect(0, index));
        return new Batch(batchIndex, inputs, targets, mask);
    }
}
