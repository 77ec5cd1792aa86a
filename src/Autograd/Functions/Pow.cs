namespace Spamp.Functions;

/// <summary>
/// y = a^b element-wise. d/da = b a^(b-1) (taken as 0 where b == 0, so 0^0 does not produce
/// 0 * inf), d/db = a^b ln a (taken as 0 where a == 0, where ln a is -inf, as PyTorch masks it).
/// </summary>
internal sealed class PowFunction : Node
{
    private Tensor? _a;
    private Tensor? _b;
    private Tensor? _y;

    public override string Name => "pow";

    public static Variable Apply(Variable a, Variable b)
    {
        Tensor y = Tensor.Pow(a.Data, b.Data);
        var node = new PowFunction();
        if (Autograd.IsGradEnabled && (a.RequiresGrad || b.RequiresGrad))
        {
            node._a = node.Save(a.Data);
            node._b = node.Save(b.Data);
            if (b.RequiresGrad)
            {
                node._y = node.Save(y);
            }
        }

        return node.Record(y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor a = _a!, b = _b!;
        Tensor? gradA = null, gradB = null;
        if (NeedsGrad(0))
        {
            using Tensor exponent = b - 1;
            using Tensor power = Tensor.Pow(a, exponent);
            using Tensor derivative = power * b;
            using Tensor zeroExponent = b.Eq(0);
            using Tensor masked = derivative.MaskedFill(zeroExponent, 0);
            gradA = gradOutput * masked;
        }

        if (NeedsGrad(1))
        {
            using Tensor log = a.Log();
            using Tensor derivative = _y! * log;
            using Tensor zeroBase = a.Eq(0);
            using Tensor masked = derivative.MaskedFill(zeroBase, 0);
            gradB = gradOutput * masked;
        }

        return [gradA, gradB];
    }
}
