namespace Spamp.Functions;

/// <summary>
/// Sum (or mean) over dimensions. Every input element contributed once, so the gradient is the
/// output gradient broadcast back over the reduced dimensions (divided by the count for a mean).
/// </summary>
internal sealed class SumFunction : Node
{
    private Shape _inputShape = Shape.Scalar;
    private int[] _dims = [];
    private bool _keepDim;
    private double _scale = 1;
    private bool _mean;

    public override string Name => _mean ? "mean" : "sum";

    public static Variable Apply(Variable x, int[]? dims, bool keepDim, bool mean)
    {
        Tensor y = mean ? x.Data.Mean(dims, keepDim) : x.Data.Sum(dims, keepDim);
        var node = new SumFunction
        {
            _inputShape = x.Shape,
            _dims = x.Data.NormalizeDims(dims, mean ? "mean" : "sum"),
            _keepDim = keepDim,
            _mean = mean,
        };
        node._scale = mean ? 1.0 / Math.Max(1, x.Numel / Math.Max(1, y.Numel)) : 1.0;
        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        using Tensor kept = _keepDim ? gradOutput.Alias() : UnsqueezeAll(gradOutput, _dims);
        using Tensor expanded = kept.Expand(_inputShape.ToArray());
        return [_scale == 1 ? expanded.Clone() : expanded * _scale];
    }

    /// <summary>Re-inserts the reduced (sorted) dimensions as size 1.</summary>
    internal static Tensor UnsqueezeAll(Tensor grad, int[] sortedDims)
    {
        Tensor current = grad.Alias();
        foreach (int d in sortedDims)
        {
            Tensor next = current.Unsqueeze(d);
            current.Dispose();
            current = next;
        }

        return current;
    }
}
