namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// Per-sample cross-entropy of <paramref name="logits"/> ([N, C, d1, ...] or unbatched [C]) against
    /// Int64 class indices <paramref name="target"/> ([N, d1, ...] or a scalar), through the fused
    /// log-softmax + NLL primitive. Returns the losses (target's shape; 0 where ignored), the per-sample
    /// log-sum-exp the backward needs, and the per-sample weight w[target] (0 where ignored), whose sum
    /// divides a mean.
    /// </summary>
    internal static (Tensor Loss, Tensor LogSumExp, Tensor SampleWeight) CrossEntropy(Tensor logits, Tensor target, Tensor? weight,
        long ignoreIndex, double labelSmoothing)
    {
        var (outer, classes, inner) = CheckCrossEntropy(logits, target, weight, ignoreIndex, labelSmoothing);
        DType compute = ComputeType(logits.DType);
        using Tensor x = logits.ContiguousAs(compute);
        using Tensor t = target.ContiguousAs(DType.Int64);
        using Tensor? w = weight?.ContiguousAs(compute);
        Tensor loss = Empty(target.Shape, compute, logits.Device);
        Tensor lse = Empty(target.Shape, compute, logits.Device);
        Tensor sampleWeight = Empty(target.Shape, compute, logits.Device);
        logits.Backend.CrossEntropy(x.Storage, outer, classes, inner, t.Storage, w?.Storage, ignoreIndex, labelSmoothing,
            loss.Storage, lse.Storage, sampleWeight.Storage);
        return (loss.CastAndDispose(logits.DType), lse, sampleWeight.CastAndDispose(logits.DType));
    }

    /// <summary>The gradient of <see cref="CrossEntropy"/> with respect to the logits, given the gradient of each sample's loss.</summary>
    internal static Tensor CrossEntropyBackward(Tensor logits, Tensor target, Tensor? weight, long ignoreIndex, double labelSmoothing,
        Tensor logSumExp, Tensor gradLoss)
    {
        var (outer, classes, inner) = SplitClasses(logits);
        DType compute = ComputeType(logits.DType);
        using Tensor x = logits.ContiguousAs(compute);
        using Tensor t = target.ContiguousAs(DType.Int64);
        using Tensor? w = weight?.ContiguousAs(compute);
        using Tensor gl = gradLoss.ContiguousAs(compute);
        Tensor dx = Empty(logits.Shape, compute, logits.Device);
        logits.Backend.CrossEntropyBackward(x.Storage, outer, classes, inner, t.Storage, w?.Storage, ignoreIndex, labelSmoothing,
            logSumExp.Storage, gl.Storage, dx.Storage);
        return dx.CastAndDispose(logits.DType);
    }

    private static (int Outer, int Classes, int Inner) SplitClasses(Tensor logits) =>
        logits.Rank == 1 ? (1, logits.Shape[0], 1) : logits.SplitAround(1);

    private static (int Outer, int Classes, int Inner) CheckCrossEntropy(Tensor logits, Tensor target, Tensor? weight, long ignoreIndex, double labelSmoothing)
    {
        const string op = "cross_entropy";
        if (!logits.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{op}: input of shape {logits.Shape} has dtype {logits.DType.Name()}; expected floating-point logits", nameof(logits));
        }

        if (target.DType is not (DType.Int64 or DType.Int32))
        {
            throw new DTypeMismatchException($"{op}: target of shape {target.Shape} has dtype {target.DType.Name()}; expected int64 class indices", nameof(target));
        }

        CheckSameDevice(op, logits, target);
        if (logits.Rank == 0)
        {
            throw new ShapeMismatchException($"{op}: input must be [C] or [N, C, d1, ...], got a scalar", nameof(logits));
        }

        int[] expected = logits.Rank == 1 ? [] : [logits.Shape[0], .. logits.Shape.AsSpan()[2..]];
        if (target.Shape != new Shape(expected))
        {
            throw new ShapeMismatchException($"{op}: target {target.Shape} does not match input {logits.Shape}: expected target shape {Shape.Format(expected)}", nameof(target));
        }

        var split = SplitClasses(logits);
        if (weight is not null)
        {
            CheckSameDevice(op, logits, weight);
            if (weight.Shape != new Shape(split.Classes))
            {
                throw new ShapeMismatchException($"{op}: weight {weight.Shape} must be [{split.Classes}], one per class of input {logits.Shape}", nameof(weight));
            }
        }

        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"{op}: label_smoothing must be between 0.0 and 1.0, got {labelSmoothing}");
        }

        if (target.Numel > 0)
        {
            // One read-back each for the smallest and largest class index; ignored entries count as 0.
            using Tensor t = target.To(DType.Int64);
            using Tensor ignored = t.Eq(ignoreIndex);
            using Tensor masked = t.MaskedFill(ignored, 0);
            using Tensor lowest = masked.Amin();
            using Tensor highest = masked.Amax();
            long min = lowest.Item<long>(), max = highest.Item<long>();
            if (min < 0 || max >= split.Classes)
            {
                long bad = min < 0 ? min : max;
                throw new ArgumentOutOfRangeException(nameof(target), bad,
                    $"{op}: target {bad} is out of bounds: class indices must be in [0, {split.Classes}) for input {logits.Shape}, or ignore_index {ignoreIndex}");
            }
        }

        return split;
    }
}
