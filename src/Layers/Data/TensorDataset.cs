namespace Spamp.Data;

/// <summary>
/// An in-memory data set: example <c>i</c> is row <c>i</c> of <see cref="Inputs"/>, of
/// <see cref="Targets"/> and, for padded sequences, of <see cref="PaddingMask"/> (PyTorch's
/// TensorDataset with names). The data set owns its tensors and disposes them with itself.
/// </summary>
public sealed class TensorDataset : IDisposable
{
    private bool _disposed;

    /// <summary>
    /// Takes ownership of <paramref name="inputs"/>, <paramref name="targets"/> and
    /// <paramref name="paddingMask"/> (they are detached from any open <see cref="TensorScope"/>, so a
    /// scope around the loading code does not free the data set). All must have the same size in
    /// dimension 0 and live on the same device.
    /// </summary>
    public TensorDataset(Tensor inputs, Tensor targets, Tensor? paddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank == 0 || targets.Rank == 0)
        {
            throw new ShapeMismatchException($"dataset: inputs {inputs.Shape} and targets {targets.Shape} need a leading example dimension", nameof(inputs));
        }

        if (inputs.Shape[0] != targets.Shape[0])
        {
            throw new ShapeMismatchException($"dataset: inputs {inputs.Shape} hold {inputs.Shape[0]} examples but targets {targets.Shape} hold {targets.Shape[0]}", nameof(targets));
        }

        if (paddingMask is not null && (paddingMask.Rank == 0 || paddingMask.Shape[0] != inputs.Shape[0]))
        {
            throw new ShapeMismatchException($"dataset: padding mask {paddingMask.Shape} does not match inputs {inputs.Shape} in dimension 0", nameof(paddingMask));
        }

        if (targets.Device != inputs.Device || (paddingMask is not null && paddingMask.Device != inputs.Device))
        {
            throw new DeviceMismatchException($"dataset: inputs are on {inputs.Device} but targets on {targets.Device}{(paddingMask is null ? "" : $" and the mask on {paddingMask.Device}")}", nameof(targets));
        }

        Inputs = TensorScope.Detach(inputs);
        Targets = TensorScope.Detach(targets);
        PaddingMask = paddingMask is null ? null : TensorScope.Detach(paddingMask);
    }

    /// <summary>The inputs, examples along dimension 0 (e.g. Float32 [N,1,28,28] images or Int64 [N,T] token ids).</summary>
    public Tensor Inputs { get; }

    /// <summary>The targets, examples along dimension 0 (e.g. Int64 [N] class labels or Int64 [N,T] next tokens).</summary>
    public Tensor Targets { get; }

    /// <summary>A Bool [N,T] key-padding mask, true where a position is padding (to be ignored), or null.</summary>
    public Tensor? PaddingMask { get; }

    /// <summary>The number of examples.</summary>
    public int Count => Inputs.Shape[0];

    /// <summary>
    /// The language-model windows of a 1-D token stream, as nanoGPT and pytorch/examples train:
    /// window <c>w</c> has inputs <c>tokens[w*T .. w*T+T)</c> and targets shifted by one,
    /// <c>tokens[w*T+1 .. w*T+T+1)</c>, for the <c>(n-1)/T</c> whole windows that fit. Inputs and
    /// targets are views of <paramref name="tokens"/> (no copy); the caller still owns and may
    /// dispose <paramref name="tokens"/>, because the views keep its storage alive.
    /// </summary>
    public static TensorDataset LanguageModelWindows(Tensor tokens, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Rank != 1)
        {
            throw new ShapeMismatchException($"language-model windows: tokens must be 1-D, got shape {tokens.Shape}", nameof(tokens));
        }

        if (!tokens.DType.IsInteger())
        {
            throw new DTypeMismatchException($"language-model windows: tokens must be integer ids, got {tokens.DType.Name()}", nameof(tokens));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        int windows = (tokens.Numel - 1) / contextLength;
        if (windows < 1)
        {
            throw new ArgumentException($"language-model windows: {tokens.Numel} tokens are too few for one window of context length {contextLength} (need {contextLength + 1})", nameof(tokens));
        }

        int span = windows * contextLength;
        using Tensor x = tokens.Narrow(0, 0, span);
        using Tensor y = tokens.Narrow(0, 1, span);
        return new TensorDataset(x.Reshape(windows, contextLength), y.Reshape(windows, contextLength));
    }

    /// <summary>A new data set holding copies of the examples at <paramref name="indices"/>, in that order (e.g. a train/test split).</summary>
    public TensorDataset Select(ReadOnlySpan<long> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using Tensor index = Tensor.From(indices, null, Inputs.Device);
        return Select(index);
    }

    /// <summary>A new data set holding copies of the examples at <paramref name="index"/> (a 1-D integer tensor on the data set's device).</summary>
    public TensorDataset Select(Tensor index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(index);
        Tensor inputs = Inputs.IndexSelect(0, index);
        Tensor? targets = null;
        try
        {
            targets = Targets.IndexSelect(0, index);
            Tensor? mask = PaddingMask?.IndexSelect(0, index);
            return new TensorDataset(inputs, targets, mask);
        }
        catch
        {
            inputs.Dispose();
            targets?.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the tensors (idempotent).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Inputs.Dispose();
        Targets.Dispose();
        PaddingMask?.Dispose();
    }
}
