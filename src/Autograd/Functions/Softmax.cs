namespace Spamp.Functions;

/// <summary>
/// y = softmax(x) along a dimension: dx = y * (dy - sum(dy * y)). For log-softmax
/// (y = x - lse): dx = dy - exp(y) * sum(dy). Both come from the saved output through the
/// backend's fused <see cref="Tensor.SoftmaxBackward"/>.
/// </summary>
internal sealed class SoftmaxFunction : Node
{
    private Tensor? _y;
    private int _dim;
    private bool _log;

    public override string Name => _log ? "log_softmax" : "softmax";

    public static Variable Apply(Variable x, int dim, bool log)
    {
        Tensor y = log ? x.Data.LogSoftmax(dim) : x.Data.Softmax(dim);
        var node = new SoftmaxFunction { _dim = dim, _log = log };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._y = node.Save(y);
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [Tensor.SoftmaxBackward(_y!, gradOutput, _dim, _log)];
}
