namespace Spamp.Layers;

/// <summary>
/// Negative log-likelihood of log-probabilities (torch.nn.NLLLoss): -weight[t] * input[t] per sample.
/// Defaults as PyTorch: no weights, ignore_index = -100, reduction = mean (over the summed weights).
/// </summary>
public sealed class NLLLoss : Module
{
    /// <summary>Creates the loss.</summary>
    public NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        if (weight is not null)
        {
            RegisterBuffer("weight", weight.Clone());
        }

        IgnoreIndex = ignoreIndex;
        Reduction = reduction;
    }

    /// <summary>The per-class weights, or null.</summary>
    public Tensor? Weight => FindBuffer("weight");

    /// <summary>ignore_index.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The reduction.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of log-probabilities <paramref name="input"/> ([N, C, ...]) against class indices <paramref name="target"/>.</summary>
    public Variable Forward(Variable input, Tensor target) =>
        RunForward(() => Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction), input);
}
