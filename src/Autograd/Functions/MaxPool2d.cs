namespace Spamp.Functions;

/// <summary>
/// y = max over each window. The forward records which input element won (its flat index in the
/// plane); the backward routes each output gradient to exactly that element (summing where windows
/// overlap on the same winner), as PyTorch.
/// </summary>
internal sealed class MaxPool2dFunction : Node
{
    private Tensor? _indices;
    private Pool2dGeometry _geometry;

    public override string Name => "max_pool2d";

    public static (Variable Output, Tensor Indices) Apply(Variable x, in Pool2dGeometry geometry)
    {
        var (y, indices) = Tensor.MaxPool2d(x.Data, geometry);
        var node = new MaxPool2dFunction { _geometry = geometry };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._indices = node.Save(indices);
        }

        return (node.Record(y, x), indices);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [Tensor.MaxPool2dBackward(gradOutput, _indices!, _geometry)];
}
