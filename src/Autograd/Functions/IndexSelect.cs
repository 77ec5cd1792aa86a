namespace Spamp.Functions;

/// <summary>
/// y = x.index_select(dim, index): slice i of y along dim is slice index[i] of x. The gradient adds
/// slice i of the output gradient into slice index[i] of zeros (repeated indices accumulate).
/// </summary>
internal sealed class IndexSelectFunction : Node
{
    private Tensor? _index;
    private Shape _inputShape = Shape.Scalar;
    private int _dim;

    public override string Name => "index_select";

    public static Variable Apply(Variable x, int dim, Tensor index)
    {
        Tensor y = x.Data.IndexSelect(dim, index);
        var node = new IndexSelectFunction { _inputShape = x.Shape, _dim = dim };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._index = node.Save(index);
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor grad = Tensor.Zeros(_inputShape, gradOutput.DType, gradOutput.Device);
        grad.IndexAddInPlace(_dim, _index!, gradOutput);
        return [grad];
    }
}
