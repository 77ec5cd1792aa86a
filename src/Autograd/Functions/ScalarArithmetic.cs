using Spamp.Backends;

namespace Spamp.Functions;

/// <summary>
/// A variable combined with a constant s on either side. Derivatives with respect to x:
/// x+s, s+x: 1; x-s: 1; s-x: -1; x*s, s*x: s; x/s: 1/s; s/x: -s/x^2 = -y/x;
/// x^s: s x^(s-1) (0 when s == 0); s^x: s^x ln s = y ln s (0 when s == 0, as PyTorch masks it).
/// </summary>
internal sealed class ScalarArithmeticFunction : Node
{
    private BinaryOp _op;
    private double _s;
    private bool _scalarFirst;
    private Tensor? _x;
    private Tensor? _y;

    public override string Name => _op.ToString().ToLowerInvariant();

    public static Variable Apply(Variable x, BinaryOp op, double s, bool scalarFirst)
    {
        Tensor y = op switch
        {
            BinaryOp.Add => scalarFirst ? s + x.Data : x.Data + s,
            BinaryOp.Sub => scalarFirst ? s - x.Data : x.Data - s,
            BinaryOp.Mul => scalarFirst ? s * x.Data : x.Data * s,
            BinaryOp.Div => scalarFirst ? s / x.Data : x.Data / s,
            BinaryOp.Pow => scalarFirst ? Tensor.Pow(s, x.Data) : x.Data.Pow(s),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "scalar arithmetic supports add, sub, mul, div and pow"),
        };

        var node = new ScalarArithmeticFunction { _op = op, _s = s, _scalarFirst = scalarFirst };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            // Only the non-linear cases need values: s/x and s^x reuse the output, x^s needs x.
            if (op is BinaryOp.Div && scalarFirst)
            {
                node._x = node.Save(x.Data);
                node._y = node.Save(y);
            }
            else if (op is BinaryOp.Pow)
            {
                if (scalarFirst)
                {
                    node._y = node.Save(y);
                }
                else
                {
                    node._x = node.Save(x.Data);
                }
            }
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) => [_op switch
    {
        BinaryOp.Add => gradOutput.Alias(),
        BinaryOp.Sub => _scalarFirst ? -gradOutput : gradOutput.Alias(),
        BinaryOp.Mul => gradOutput * _s,
        BinaryOp.Div => _scalarFirst ? ReciprocalBackward(gradOutput) : gradOutput / _s,
        _ => _scalarFirst ? ExponentialBackward(gradOutput) : PowerBackward(gradOutput),
    }];

    /// <summary>d(s/x)/dx = -s/x^2 = -y/x.</summary>
    private Tensor ReciprocalBackward(Tensor g)
    {
        using Tensor ratio = _y! / _x!;
        using Tensor scaled = g * ratio;
        return -scaled;
    }

    /// <summary>d(s^x)/dx = s^x ln s = y ln s, and 0 for s == 0.</summary>
    private Tensor ExponentialBackward(Tensor g)
    {
        if (_s == 0)
        {
            return Tensor.ZerosLike(g);
        }

        using Tensor scaled = _y! * Math.Log(_s);
        return g * scaled;
    }

    /// <summary>d(x^s)/dx = s x^(s-1), and 0 for s == 0.</summary>
    private Tensor PowerBackward(Tensor g)
    {
        if (_s == 0)
        {
            return Tensor.ZerosLike(g);
        }

        using Tensor power = _x!.Pow(_s - 1);
        using Tensor derivative = power * _s;
        return g * derivative;
    }
}
