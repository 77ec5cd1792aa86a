namespace Spamp.Functions;

/// <summary>
/// Per-sample cross-entropy of logits against class indices, fused: the forward computes each
/// sample's log-sum-exp once and the loss w[t] (1 - e) (lse - x[t]) + (e / C) sum_c w[c] (lse - x[c])
/// without forming log-probabilities; the backward writes, in one pass from the saved log-sum-exp,
/// dx = gl * (w[t] (1 - e) (softmax(x) - onehot(t)) + (e / C) (W softmax(x) - w)). Ignored samples
/// have loss 0 and gradient 0. The caller reduces (sum, or mean over the summed sample weights).
/// </summary>
internal sealed class CrossEntropyFunction : Node
{
    private Tensor? _logits;
    private Tensor? _target;
    private Tensor? _weight;
    private Tensor? _logSumExp;
    private long _ignoreIndex;
    private double _smoothing;

    public override string Name => "cross_entropy";

    /// <summary>Returns the per-sample losses (target's shape) and the per-sample weights w[t] (0 where ignored), a constant.</summary>
    public static (Variable Loss, Tensor SampleWeight) Apply(Variable logits, Tensor target, Tensor? weight, long ignoreIndex, double labelSmoothing)
    {
        var (loss, lse, sampleWeight) = Tensor.CrossEntropy(logits.Data, target, weight, ignoreIndex, labelSmoothing);
        var node = new CrossEntropyFunction { _ignoreIndex = ignoreIndex, _smoothing = labelSmoothing };
        if (Autograd.IsGradEnabled && logits.RequiresGrad)
        {
            node._logits = node.Save(logits.Data);
            node._target = node.Save(target);
            node._weight = weight is null ? null : node.Save(weight);
            node._logSumExp = node.Save(lse);
        }

        lse.Dispose();
        return (node.Record(loss, logits), sampleWeight);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [Tensor.CrossEntropyBackward(_logits!, _target!, _weight, _ignoreIndex, _smoothing, _logSumExp!, gradOutput)];
}
