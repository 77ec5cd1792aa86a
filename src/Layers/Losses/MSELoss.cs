namespace Spamp.Layers;

/// <summary>Mean squared error (torch.nn.MSELoss): (input - target)^2, reduced by mean (default), sum or none.</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Module
{
    /// <summary>The reduction.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/> (same shape).</summary>
    public Variable Forward(Variable input, Variable target) =>
        RunForward(() => Functional.MseLoss(input, target, Reduction), input, target);
}
