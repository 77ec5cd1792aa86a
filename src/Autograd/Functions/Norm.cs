namespace Spamp.Functions;

/// <summary>
/// The vector p-norm n = (sum |x|^p)^(1/p) over dimensions. dn/dx = |x|^(p-1) sign(x) / n^(p-1),
/// which specialises to: p = 2: x / n (0 where n == 0, as PyTorch); p = 1: sign(x);
/// p = inf (n = max |x|): sign(x) at the elements where |x| attains the maximum, shared evenly
/// among ties as amax does. For general p the gradient is also 0 where n == 0.
/// </summary>
internal sealed class NormFunction : Node
{
    private Tensor? _x;
    private Tensor? _norm;
    private double _p;
    private int[] _dims = [];
    private bool _keepDim;

    public override string Name => "norm";

    public static Variable Apply(Variable x, double p, int[]? dims, bool keepDim)
    {
        Tensor y = x.Data.Norm(p, dims, keepDim);
        var node = new NormFunction { _p = p, _keepDim = keepDim };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._dims = x.Data.NormalizeDims(dims, "norm");
            node._x = node.Save(x.Data);
            if (p != 1)
            {
                node._norm = node.Save(y);
            }
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor x = _x!;
        using Tensor g = _keepDim ? gradOutput.Alias() : SumFunction.UnsqueezeAll(gradOutput, _dims);
        using Tensor sign = x.Sign();
        if (_p == 1)
        {
            return [sign * g];
        }

        using Tensor norm = _keepDim ? _norm!.Alias() : SumFunction.UnsqueezeAll(_norm!, _dims);
        if (double.IsPositiveInfinity(_p))
        {
            using Tensor magnitude = x.Abs();
            using Tensor shared = AmaxFunction.ShareAmongTies(magnitude, norm, g, _dims);
            return [shared * sign];
        }

        using Tensor zero = norm.Eq(0);
        if (_p == 2)
        {
            using Tensor ratio = g / norm;
            using Tensor safe = ratio.MaskedFill(zero, 0);
            return [x * safe];
        }

        using Tensor abs = x.Abs();
        using Tensor numerator = abs.Pow(_p - 1);
        using Tensor denominator = norm.Pow(_p - 1);
        using Tensor ratioG = g / denominator;
        using Tensor safeG = ratioG.MaskedFill(zero, 0);
        using Tensor signed = numerator * sign;
        return [signed * safeG];
    }
}
