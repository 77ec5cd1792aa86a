namespace Spamp.Layers;

/// <summary>
/// Cross-entropy between logits and class indices (torch.nn.CrossEntropyLoss): log-softmax and
/// negative log-likelihood fused. Defaults as PyTorch: no class weights, ignore_index = -100,
/// reduction = mean, label_smoothing = 0. Call <see cref="Forward(Variable, Tensor)"/> with logits
/// [N, C] or [N, C, d1, ...] and Int64 targets [N] or [N, d1, ...].
/// </summary>
public sealed class CrossEntropyLoss : Module
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Optional per-class weight [C] (kept as a buffer named "weight", as PyTorch).</param>
    /// <param name="ignoreIndex">Target value whose samples are skipped (default -100).</param>
    /// <param name="reduction">mean (default), sum or none.</param>
    /// <param name="labelSmoothing">In [0, 1]: the target becomes (1 - e) onehot + e / C (default 0).</param>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {labelSmoothing}");
        }

        if (weight is not null)
        {
            RegisterBuffer("weight", weight.Clone());
        }

        IgnoreIndex = ignoreIndex;
        Reduction = reduction;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The per-class weights, or null.</summary>
    public Tensor? Weight => FindBuffer("weight");

    /// <summary>ignore_index.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The reduction.</summary>
    public Reduction Reduction { get; }

    /// <summary>label_smoothing.</summary>
    public double LabelSmoothing { get; }

    /// <summary>The loss of <paramref name="input"/> logits against <paramref name="target"/> class indices.</summary>
    public Variable Forward(Variable input, Tensor target) =>
        RunForward(() => Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing), input);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"ignore_index={IgnoreIndex}, reduction={Reduction}, label_smoothing={LabelSmoothing}";
}
