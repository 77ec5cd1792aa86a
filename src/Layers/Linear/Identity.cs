namespace Spamp.Layers;

/// <summary>Returns its input unchanged (torch.nn.Identity): a placeholder where a layer is optional.</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => input;
}
