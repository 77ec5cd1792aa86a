using Spamp.Backends;

namespace Spamp.Functions;

/// <summary>
/// Every element-wise function of one input (exp, tanh, gelu, clamp, ...). The forward is the
/// backend's <see cref="Backend.Unary"/>; the derivative table lives beside it in the backend's
/// <see cref="Backend.UnaryBackward"/>, so one op enum defines the loop, the kernel and the rule.
/// </summary>
internal sealed class UnaryFunction : Node
{
    private readonly UnaryOp _op;
    private readonly UnaryArgs _args;
    private Tensor? _input;
    private Tensor? _output;

    private UnaryFunction(UnaryOp op, UnaryArgs args)
    {
        _op = op;
        _args = args;
    }

    public override string Name => _op.ToString().ToLowerInvariant();

    public static Variable Apply(Variable x, UnaryOp op, UnaryArgs args = default)
    {
        Tensor y = op switch
        {
            UnaryOp.Neg => x.Data.Neg(),
            UnaryOp.Abs => x.Data.Abs(),
            UnaryOp.Sign => x.Data.Sign(),
            UnaryOp.Exp => x.Data.Exp(),
            UnaryOp.Log => x.Data.Log(),
            UnaryOp.Sqrt => x.Data.Sqrt(),
            UnaryOp.Rsqrt => x.Data.Rsqrt(),
            UnaryOp.Square => x.Data.Square(),
            UnaryOp.Reciprocal => x.Data.Reciprocal(),
            UnaryOp.Relu => x.Data.Relu(),
            UnaryOp.GeluTanh => x.Data.Gelu(GeluApproximation.Tanh),
            UnaryOp.GeluErf => x.Data.Gelu(),
            UnaryOp.Silu => x.Data.Silu(),
            UnaryOp.Sigmoid => x.Data.Sigmoid(),
            UnaryOp.Tanh => x.Data.Tanh(),
            UnaryOp.Sin => x.Data.Sin(),
            UnaryOp.Cos => x.Data.Cos(),
            UnaryOp.PowScalar => x.Data.Pow(args.A),
            UnaryOp.LeakyRelu => x.Data.LeakyRelu(args.A),
            UnaryOp.Clamp => x.Data.Clamp(double.IsNaN(args.A) ? null : args.A, double.IsNaN(args.B) ? null : args.B),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unary op without an autograd rule"),
        };

        var node = new UnaryFunction(op, args);
        if (x.RequiresGrad && Autograd.IsGradEnabled)
        {
            node._input = node.Save(x.Data);
            node._output = node.Save(y);
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [Tensor.UnaryBackward(_op, _input!, _output!, gradOutput, _args)];
}
