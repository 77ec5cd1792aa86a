using System.Collections;
using System.Runtime.ExceptionServices;

namespace Spamp.Data;

/// <summary>
/// Mini-batches over an in-memory <see cref="TensorDataset"/> (PyTorch's DataLoader for tensors in
/// memory): batch size, seeded shuffling, drop_last, and a background thread that prepares the next
/// batches while the current one trains.
/// <code>
/// var loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 42);
/// for (int epoch = 0; epoch &lt; epochs; epoch++)
/// {
///     foreach (Batch batch in loader.Epoch(epoch))
///     {
///         using (batch) { /* forward, backward, step */ }
///     }
/// }
/// </code>
/// </summary>
/// <remarks>
/// <para><b>Order.</b> With <c>shuffle</c>, epoch <c>e</c> visits the examples in
/// <see cref="RandomPermutation"/>'s permutation for (<see cref="Seed"/>, stream <c>e</c>): Philox and
/// integer arithmetic, so the order is the same on every run and machine, differs between epochs, and
/// any epoch can be replayed on its own (e.g. when resuming from a checkpoint). Without shuffle the
/// order is 0..N-1.</para>
/// <para><b>Ownership.</b> The loader does not own the data set (dispose it after the loader is done).
/// Each <see cref="Batch"/> handed out belongs to the caller, who disposes it. Batches prepared ahead
/// but not yet handed out belong to the epoch's enumerator, which disposes them when it is disposed
/// (a <c>foreach</c> does this, also on <c>break</c> or an exception), after stopping its thread.</para>
/// <para><b>Memory.</b> A batch costs its own tensors only, drawn from the device's buffer pool (so
/// after the first batches they are reused, not allocated). The example order of an epoch is one
/// host array and one index tensor of <see cref="BatchSize"/> ids, reused for every batch.</para>
/// <para><b>Threads.</b> Prefetching runs only for data sets on the CPU; for a data set on a GPU the
/// gathers are asynchronous device work already, and stay on the calling thread. To train on a GPU
/// from a CPU data set, move each batch with <c>Tensor.To(device)</c> on the training thread.</para>
/// </remarks>
public sealed class DataLoader
{
    private static int _liveProducers;

    /// <summary>Creates a loader.</summary>
    /// <param name="dataset">The examples (not owned by the loader).</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="shuffle">Visit the examples in a seeded random order that changes every epoch.</param>
    /// <param name="seed">The shuffling seed.</param>
    /// <param name="dropLast">Leave out the last batch when it would be smaller than <paramref name="batchSize"/>.</param>
    /// <param name="prefetch">How many batches a background thread prepares ahead: 0 (none, all work on the caller's thread), 1 or 2.</param>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false, int prefetch = 1)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefetch, 2);
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Prefetch = prefetch;
    }

    /// <summary>The examples.</summary>
    public TensorDataset Dataset { get; }

    /// <summary>Examples per batch (the last batch may hold fewer unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the examples in a seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The shuffling seed.</summary>
    public ulong Seed { get; }

    /// <summary>Whether a final short batch is left out.</summary>
    public bool DropLast { get; }

    /// <summary>Batches prepared ahead on a background thread (0, 1 or 2).</summary>
    public int Prefetch { get; }

    /// <summary>Producer threads now running, over all loaders (for tests that check disposal stops them).</summary>
    internal static int LiveProducerThreads => Volatile.Read(ref _liveProducers);

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the examples (all of them, also those a dropped last batch leaves out).</summary>
    public long[] Order(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (Shuffle)
        {
            return RandomPermutation.Create(Dataset.Count, Seed, (ulong)epoch);
        }

        var order = new long[Dataset.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        return order;
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>. Each enumeration starts its own producer (and
    /// background thread when prefetching); disposing the enumerator stops it and disposes the batches
    /// it prepared but did not hand out.
    /// </summary>
    /// <param name="epoch">The epoch number (selects the shuffling permutation).</param>
    /// <param name="cancellationToken">Stops the producer; <c>MoveNext</c> then throws <see cref="OperationCanceledException"/>.</param>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return new EpochBatches(this, epoch, cancellationToken);
    }

    /// <summary>Gathers batch <paramref name="index"/> of an epoch whose order is <paramref name="order"/>, using <paramref name="indexTensor"/> as scratch.</summary>
    private Batch MakeBatch(int index, long[] order, Tensor indexTensor)
    {
        int start = index * BatchSize;
        int count = Math.Min(BatchSize, Dataset.Count - start);

        // The order was validated when it was made (a permutation of 0..N-1), so the batch goes straight
        // to the backend's gather: no range check that would read the ids back, no temporary tensors.
        indexTensor.Backend.Upload<long>(order.AsSpan(start, count), indexTensor.Storage, 0);
        Tensor inputs = Gather(Dataset.Inputs, indexTensor, count);
        Tensor? targets = null;
        try
        {
            targets = Gather(Dataset.Targets, indexTensor, count);
            Tensor? mask = Dataset.PaddingMask is null ? null : Gather(Dataset.PaddingMask, indexTensor, count);
            // Batches belong to the caller whichever thread made them: never to a scope open here.
            TensorScope.Detach(inputs);
            TensorScope.Detach(targets);
            if (mask is not null)
            {
                TensorScope.Detach(mask);
            }

            return new Batch(index, inputs, targets, mask);
        }
        catch
        {
            inputs.Dispose();
            targets?.Dispose();
            throw;
        }
    }

    private static Tensor Gather(Tensor source, Tensor indexTensor, int count)
    {
        int[] dims = source.Shape.ToArray();
        dims[0] = count;
        Tensor result = Tensor.Empty(new Shape(dims), source.DType, source.Device);
        source.Backend.IndexSelect(source.Storage, source.Layout, 0, indexTensor.Storage, count, result.Storage);
        return result;
    }

    private sealed class EpochBatches(DataLoader loader, int epoch, CancellationToken cancellationToken) : IEnumerable<Batch>
    {
        public IEnumerator<Batch> GetEnumerator() => new BatchEnumerator(loader, epoch, cancellationToken);

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// Produces one epoch's batches. With prefetch, a dedicated thread fills a bounded ring of
    /// <see cref="Prefetch"/> slots and the consumer takes from it; one monitor guards the ring, and
    /// each side waits on it only when the ring is full (producer) or empty (consumer).
    /// </summary>
    private sealed class BatchEnumerator : IEnumerator<Batch>
    {
        private readonly DataLoader _loader;
        private readonly long[] _order;
        private readonly Tensor _indexTensor;
        private readonly int _batchCount;
        private readonly CancellationToken _cancellationToken;

        // Prefetch state, guarded by _gate.
        private readonly object _gate = new();
        private readonly Batch[] _ring;
        private readonly Thread? _worker;
        private readonly CancellationTokenRegistration _registration;
        private int _head;
        private int _queued;
        private bool _stop;
        private bool _producerDone;
        private ExceptionDispatchInfo? _producerError;

        private int _next;
        private bool _disposed;

        public BatchEnumerator(DataLoader loader, int epoch, CancellationToken cancellationToken)
        {
            _loader = loader;
            _order = loader.Order(epoch);
            _batchCount = loader.BatchCount;
            _cancellationToken = cancellationToken;
            TensorDataset data = loader.Dataset;
            _indexTensor = TensorScope.Detach(Tensor.Empty(new Shape(loader.BatchSize), DType.Int64, data.Inputs.Device));
            int prefetch = data.Inputs.Device == Device.Cpu ? loader.Prefetch : 0;
            _ring = new Batch[prefetch];
            if (prefetch > 0 && _batchCount > 0)
            {
                _registration = cancellationToken.Register(static state => ((BatchEnumerator)state!).RequestStop(), this);
                _worker = new Thread(Produce) { IsBackground = true, Name = $"Spamp DataLoader epoch {epoch}" };
                _worker.Start();
            }
        }

        public Batch Current { get; private set; }

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _cancellationToken.ThrowIfCancellationRequested();
            if (_worker is null)
            {
                if (_next >= _batchCount)
                {
                    return false;
                }

                Current = _loader.MakeBatch(_next++, _order, _indexTensor);
                return true;
            }

            lock (_gate)
            {
                while (_queued == 0 && !_producerDone && !_cancellationToken.IsCancellationRequested)
                {
                    Monitor.Wait(_gate);
                }

                _cancellationToken.ThrowIfCancellationRequested();
                if (_queued > 0)
                {
                    Current = _ring[_head];
                    _ring[_head] = default;
                    _head = (_head + 1) % _ring.Length;
                    _queued--;
                    Monitor.PulseAll(_gate);
                    return true;
                }

                _producerError?.Throw();
                return false;
            }
        }

        public void Reset() => throw new NotSupportedException("a data loader epoch cannot be restarted; call DataLoader.Epoch again");

        /// <summary>Stops the producer thread, waits for it, and disposes batches it prepared but did not hand out.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            RequestStop();
            _worker?.Join();
            _registration.Dispose();
            for (int i = 0; i < _ring.Length; i++)
            {
                _ring[i].Dispose();
                _ring[i] = default;
            }

            _queued = 0;
            _indexTensor.Dispose();
        }

        private void RequestStop()
        {
            lock (_gate)
            {
                _stop = true;
                Monitor.PulseAll(_gate);
            }
        }

        private void Produce()
        {
            Interlocked.Increment(ref _liveProducers);
            try
            {
                for (int b = 0; b < _batchCount; b++)
                {
                    lock (_gate)
                    {
                        while (_queued == _ring.Length && !_stop)
                        {
                            Monitor.Wait(_gate);
                        }

                        if (_stop)
                        {
                            return;
                        }
                    }

                    // Gather outside the lock so the consumer can take ready batches meanwhile.
                    Batch batch = _loader.MakeBatch(b, _order, _indexTensor);
                    lock (_gate)
                    {
                        if (_stop)
                        {
                            batch.Dispose();
                            return;
                        }

                        _ring[(_head + _queued) % _ring.Length] = batch;
                        _queued++;
                        Monitor.PulseAll(_gate);
                    }
                }
            }
            catch (Exception e)
            {
                // Handed to the consumer, which rethrows it from MoveNext with the original stack.
                lock (_gate)
                {
                    _producerError = ExceptionDispatchInfo.Capture(e);
                }
            }
            finally
            {
                lock (_gate)
                {
                    _producerDone = true;
                    Monitor.PulseAll(_gate);
                }

                Interlocked.Decrement(ref _liveProducers);
            }
        }
    }
}
