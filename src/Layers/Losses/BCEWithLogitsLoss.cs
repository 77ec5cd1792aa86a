namespace Spamp.Layers;

/// <summary>
/// Sigmoid and binary cross-entropy in one stable expression (torch.nn.BCEWithLogitsLoss):
/// max(x, 0) - x y + log(1 + exp(-|x|)) per element. Defaults as PyTorch: no weight, reduction = mean,
/// no pos_weight. <c>weight</c> rescales elements; <c>pos_weight</c> (typically [C]) weights positives.
/// </summary>
public sealed class BCEWithLogitsLoss : Module
{
    /// <summary>Creates the loss; weight and pos_weight are kept as buffers, as in PyTorch.</summary>
    public BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        if (weight is not null)
        {
            RegisterBuffer("weight", weight.Clone());
        }

        if (posWeight is not null)
        {
            RegisterBuffer("pos_weight", posWeight.Clone());
        }

        Reduction = reduction;
    }

    /// <summary>Element weights, or null.</summary>
    public Tensor? Weight => FindBuffer("weight");

    /// <summary>Weight of positive examples, or null.</summary>
    public Tensor? PosWeight => FindBuffer("pos_weight");

    /// <summary>The reduction.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of logits <paramref name="input"/> against probabilities <paramref name="target"/> (same shape).</summary>
    public Variable Forward(Variable input, Variable target) =>
        RunForward(() => Functional.BinaryCrossEntropyWithLogits(input, target, Weight, PosWeight, Reduction), input, target);
}
