namespace Spamp.Layers;

/// <summary>
/// Flattens dimensions <c>start_dim</c>..<c>end_dim</c> into one (torch.nn.Flatten). PyTorch's
/// defaults keep the batch dimension: start_dim = 1, end_dim = -1.
/// </summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dimension flattened.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dimension flattened (negative counts from the end).</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
