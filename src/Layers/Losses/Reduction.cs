namespace Spamp.Layers;

/// <summary>How a loss combines its per-element values (PyTorch's reduction argument).</summary>
public enum Reduction
{
    /// <summary>The mean (PyTorch's default, 'mean'); weighted losses divide by the sum of the weights used.</summary>
    Mean,

    /// <summary>The sum ('sum').</summary>
    Sum,

    /// <summary>No reduction: one loss per element ('none').</summary>
    None,
}
