using Spamp.Functions;

namespace Spamp.Layers;

public static partial class Functional
{
    /// <summary>
    /// Cross-entropy between logits and class indices (torch.nn.functional.cross_entropy).
    /// <paramref name="input"/> is [N, C], [N, C, d1, ...] or unbatched [C]; <paramref name="target"/> holds
    /// Int64 indices in [0, C) with shape [N], [N, d1, ...] or a scalar. Samples whose target is
    /// <paramref name="ignoreIndex"/> (default -100) contribute nothing. With
    /// <paramref name="labelSmoothing"/> e the target distribution is (1 - e) onehot + e / C.
    /// <paramref name="weight"/> ([C], optional) rescales each class; a mean divides by the summed
    /// weights of the non-ignored targets. One fused log-softmax + NLL kernel forward and one backward.
    /// </summary>
    public static Variable CrossEntropy(Variable input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        var (loss, sampleWeight) = CrossEntropyFunction.Apply(input, target, weight, ignoreIndex, labelSmoothing);
        using (sampleWeight)
        {
            return Reduce(loss, reduction, sampleWeight);
        }
    }

    /// <summary>
    /// Negative log-likelihood of log-probabilities (torch.nn.functional.nll_loss): loss = -w[t] input[t]
    /// per sample, with the same shapes, ignore_index and weighted mean as <see cref="CrossEntropy"/>.
    /// </summary>
    public static Variable NllLoss(Variable input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Rank == 0)
        {
            throw new ShapeMismatchException("nll_loss: input must be [C] or [N, C, d1, ...], got a scalar", nameof(input));
        }

        int classes = input.Rank == 1 ? input.Shape[0] : input.Shape[1];
        int[] expected = input.Rank == 1 ? [] : [input.Shape[0], .. input.Shape.AsSpan()[2..]];
        if (target.Shape != new Shape(expected))
        {
            throw new ShapeMismatchException($"nll_loss: target {target.Shape} does not match input {input.Shape}: expected target shape {Shape.Format(expected)}", nameof(target));
        }

        if (weight is not null && weight.Shape != new Shape(classes))
        {
            throw new ShapeMismatchException($"nll_loss: weight {weight.Shape} must be [{classes}], one per class of input {input.Shape}", nameof(weight));
        }

        // Ignored targets read class 0 and are then multiplied by a zero weight.
        using Tensor t = target.To(DType.Int64);
        using Tensor ignored = t.Eq(ignoreIndex);
        using Tensor safe = t.MaskedFill(ignored, 0);
        using (Tensor lowest = safe.Numel > 0 ? safe.Amin() : Tensor.Zeros([], DType.Int64))
        using (Tensor highest = safe.Numel > 0 ? safe.Amax() : Tensor.Zeros([], DType.Int64))
        {
            long min = lowest.Item<long>(), max = highest.Item<long>();
            if (min < 0 || max >= classes)
            {
                long bad = min < 0 ? min : max;
                throw new ArgumentOutOfRangeException(nameof(target), bad, $"nll_loss: target {bad} is out of bounds: class indices must be in [0, {classes}) for input {input.Shape}");
            }
        }

        int classDim = input.Rank == 1 ? 0 : 1;
        using Tensor gatherIndex = safe.Unsqueeze(classDim);
        Variable picked = input.Gather(classDim, gatherIndex).Squeeze(classDim);
        using Tensor classWeight = weight is null ? Tensor.Ones(t.Shape, input.DType, input.Device) : weight.To(input.DType).IndexSelect(0, safe.Reshape(-1)).Reshape(t.Shape.ToArray());
        using Tensor sampleWeight = classWeight.MaskedFill(ignored, 0);
        Variable loss = -(picked * new Variable(sampleWeight.Alias()));
        return Reduce(loss, reduction, sampleWeight);
    }

    /// <summary>Mean squared error (torch.nn.functional.mse_loss): (input - target)^2, reduced. Shapes must match.</summary>
    public static Variable MseLoss(Variable input, Variable target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Shape != target.Shape)
        {
            throw new ShapeMismatchException($"mse_loss: input {input.Shape} and target {target.Shape} must have the same shape", nameof(target));
        }

        return Reduce((input - target).Square(), reduction, null);
    }

    /// <summary>
    /// Binary cross-entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits), computed
    /// stably as max(x, 0) - x y + log(1 + exp(-|x|)). <paramref name="weight"/> (optional, broadcast to
    /// the input) rescales each element; <paramref name="posWeight"/> (optional, broadcast, typically
    /// [C]) weights the positive term: loss = -(pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))).
    /// Input and target must have the same shape; the mean is over all elements.
    /// </summary>
    public static Variable BinaryCrossEntropyWithLogits(Variable input, Variable target, Tensor? weight = null, Tensor? posWeight = null,
        Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Shape != target.Shape)
        {
            throw new ShapeMismatchException($"binary_cross_entropy_with_logits: target {target.Shape} must have the same shape as input {input.Shape}", nameof(target));
        }

        if (posWeight is not null && Shape.TryBroadcast(posWeight.Shape, input.Shape) != input.Shape)
        {
            throw new ShapeMismatchException($"binary_cross_entropy_with_logits: pos_weight {posWeight.Shape} does not broadcast to input {input.Shape}", nameof(posWeight));
        }

        Variable loss = BinaryCrossEntropyWithLogitsFunction.Apply(input, target, posWeight);
        if (weight is not null)
        {
            if (Shape.TryBroadcast(weight.Shape, input.Shape) != input.Shape)
            {
                throw new ShapeMismatchException($"binary_cross_entropy_with_logits: weight {weight.Shape} does not broadcast to input {input.Shape}", nameof(weight));
            }

            loss *= new Variable(weight.Alias());
        }

        return Reduce(loss, reduction, null);
    }

    /// <summary>Sum, mean (over elements, or over <paramref name="meanDivisor"/>'s sum when given) or nothing.</summary>
    private static Variable Reduce(Variable loss, Reduction reduction, Tensor? meanDivisor)
    {
        switch (reduction)
        {
            case Reduction.None:
                return loss;
            case Reduction.Sum:
                return loss.Sum();
            case Reduction.Mean:
                if (meanDivisor is null)
                {
                    return loss.Mean();
                }

                // The divisor stays a device scalar: no host round-trip in a training step.
                Tensor total = meanDivisor.Sum();
                return loss.Sum() / new Variable(total);
            default:
                throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "unknown reduction");
        }
    }
}
