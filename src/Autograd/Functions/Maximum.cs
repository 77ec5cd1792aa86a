namespace Spamp.Functions;

/// <summary>
/// max(a, b) (or min) element-wise. The derivative is 1 for the input that wins and 0 for the
/// other; where a == b the gradient is split 0.5/0.5, as PyTorch does.
/// </summary>
internal sealed class MaximumFunction : Node
{
    private Tensor? _a;
    private Tensor? _b;
    private bool _max;

    public override string Name => _max ? "maximum" : "minimum";

    public static Variable Apply(Variable a, Variable b, bool max)
    {
        Tensor y = max ? Tensor.Maximum(a.Data, b.Data) : Tensor.Minimum(a.Data, b.Data);
        var node = new MaximumFunction { _max = max };
        if (Autograd.IsGradEnabled && (a.RequiresGrad || b.RequiresGrad))
        {
            node._a = node.Save(a.Data);
            node._b = node.Save(b.Data);
        }

        return node.Record(y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor a = _a!, b = _b!;
        using Tensor tie = Tensor.Eq(a, b);
        using Tensor half = gradOutput * 0.5;
        using Tensor shared = Tensor.Where(tie, half, gradOutput);
        Tensor? gradA = null, gradB = null;
        if (NeedsGrad(0))
        {
            using Tensor aLoses = _max ? Tensor.Lt(a, b) : Tensor.Gt(a, b);
            gradA = shared.MaskedFill(aLoses, 0);
        }

        if (NeedsGrad(1))
        {
            using Tensor bLoses = _max ? Tensor.Gt(a, b) : Tensor.Lt(a, b);
            gradB = shared.MaskedFill(bLoses, 0);
        }

        return [gradA, gradB];
    }
}
