namespace Spamp.Functions;

/// <summary>
/// y = conv2d(x, W) + b over NCHW. Each gradient is its own backend kernel:
/// dx = conv_transpose(dy, W) (the GEMM W^T dy folded back by col2im), dW = sum over the batch of
/// dy @ im2col(x)^T, db = dy summed over batch and positions. Conv1d is this with height 1.
/// </summary>
internal sealed class Conv2dFunction : Node
{
    private Tensor? _x;
    private Tensor? _weight;
    private Conv2dGeometry _geometry;

    public override string Name => "conv2d";

    public static Variable Apply(Variable x, Variable weight, Variable? bias, in Conv2dGeometry geometry)
    {
        Tensor y = Tensor.Conv2d(x.Data, weight.Data, bias?.Data, geometry);
        var node = new Conv2dFunction { _geometry = geometry };
        if (Autograd.IsGradEnabled)
        {
            // dx needs the weight, dW needs the input.
            if (x.RequiresGrad)
            {
                node._weight = node.Save(weight.Data);
            }

            if (weight.RequiresGrad)
            {
                node._x = node.Save(x.Data);
            }
        }

        return node.Record(y, x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor? dx = NeedsGrad(0) ? Tensor.Conv2dBackwardInput(gradOutput, _weight!, _geometry) : null;
        Tensor? dw = null, db = null;
        if (NeedsGrad(1))
        {
            // The bias gradient rides along with the weight gradient's pass over dy.
            (dw, db) = Tensor.Conv2dBackwardParameters(_x!, gradOutput, _geometry, withBias: NeedsGrad(2));
        }
        else if (NeedsGrad(2))
        {
            db = gradOutput.Sum([0, 2, 3]);
        }

        return [dx, dw, db];
    }
}
