namespace Spamp.Functions;

/// <summary>
/// y = x.gather(dim, index): y[i][j] = x[index[i][j]][j] for dim 0. Each output element reads one
/// input element, so the gradient scatter-adds the output gradient back to where it was read from
/// (an element read twice receives both contributions).
/// </summary>
internal sealed class GatherFunction : Node
{
    private Tensor? _index;
    private Shape _inputShape = Shape.Scalar;
    private int _dim;

    public override string Name => "gather";

    public static Variable Apply(Variable x, int dim, Tensor index)
    {
        Tensor y = x.Data.Gather(dim, index);
        var node = new GatherFunction { _inputShape = x.Shape, _dim = dim };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._index = node.Save(index);
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor grad = Tensor.Zeros(_inputShape, gradOutput.DType, gradOutput.Device);
        grad.ScatterAddInPlace(_dim, _index!, gradOutput);
        return [grad];
    }
}
