namespace Spamp.Data;

/// <summary>
/// One mini-batch from a <see cref="DataLoader"/>: fresh tensors (copies of the examples' rows, from
/// the device's buffer pool) that belong to the caller. Dispose the batch when the step is done
/// (<c>using (batch) { ... }</c>); this returns its buffers to the pool for the next batch. The tensors
/// were created on the loader's background thread, so no <see cref="TensorScope"/> of the training
/// thread owns them.
/// </summary>
/// <param name="Index">The batch's position in its epoch (0-based).</param>
/// <param name="Inputs">The inputs, [B, ...].</param>
/// <param name="Targets">The targets, [B, ...].</param>
/// <param name="PaddingMask">The Bool [B, T] padding mask (true = padding), or null when the data set has none.</param>
public readonly record struct Batch(int Index, Tensor Inputs, Tensor Targets, Tensor? PaddingMask) : IDisposable
{
    /// <summary>The number of examples in the batch (the last one may be short unless drop_last).</summary>
    public int Count => Inputs.Shape[0];

    /// <summary>Disposes the batch's tensors (idempotent).</summary>
    public void Dispose()
    {
        Inputs?.Dispose();
        Targets?.Dispose();
        PaddingMask?.Dispose();
    }
}
