namespace Spamp.Functions;

/// <summary>
/// lse = log(sum(exp(x))) over dimensions. d lse / dx = exp(x) / sum(exp(x)) = exp(x - lse): the
/// softmax over the reduced dimensions, computed from the saved output so it never overflows.
/// </summary>
internal sealed class LogSumExpFunction : Node
{
    private Tensor? _x;
    private Tensor? _lse;
    private int[] _dims = [];
    private bool _keepDim;

    public override string Name => "logsumexp";

    public static Variable Apply(Variable x, int[] dims, bool keepDim)
    {
        Tensor y = x.Data.LogSumExp(dims, keepDim);
        var node = new LogSumExpFunction { _keepDim = keepDim };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._dims = x.Data.NormalizeDims(dims, "logsumexp");
            node._x = node.Save(x.Data);
            node._lse = node.Save(y);
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        using Tensor lse = _keepDim ? _lse!.Alias() : SumFunction.UnsqueezeAll(_lse!, _dims);
        using Tensor g = _keepDim ? gradOutput.Alias() : SumFunction.UnsqueezeAll(gradOutput, _dims);
        using Tensor shifted = _x! - lse;
        using Tensor softmax = shifted.Exp();
        return [softmax * g];
    }
}
