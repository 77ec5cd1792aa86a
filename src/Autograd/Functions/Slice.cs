namespace Spamp.Functions;

/// <summary>
/// A Python-style slice x[start:end:step] of one dimension (also narrow, select, split, chunk).
/// Each output element is one input element, so the gradient is zeros of the input's shape with
/// the output gradient written through the very same slice; elements not taken get 0.
/// </summary>
internal sealed class SliceFunction : Node
{
    private Shape _inputShape = Shape.Scalar;
    private int _dim;
    private int? _start;
    private int? _end;
    private int _step;

    public override string Name => "slice";

    public static Variable Apply(Variable x, int dim, int? start, int? end, int step)
    {
        Tensor y = x.Data.Slice(dim, start, end, step);
        var node = new SliceFunction { _inputShape = x.Shape, _dim = dim, _start = start, _end = end, _step = step };
        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor grad = Tensor.Zeros(_inputShape, gradOutput.DType, gradOutput.Device);
        using Tensor window = grad.Slice(_dim, _start, _end, _step);
        window.CopyFrom(gradOutput);
        return [grad];
    }
}
