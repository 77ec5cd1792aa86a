namespace Spamp.Functions;

/// <summary>
/// Converts x to another dtype. The values are (approximately) unchanged, so the derivative is the
/// identity: the gradient is converted back to the input's dtype. A non-floating target cannot carry
/// a gradient, so that result is a plain variable outside the graph.
/// </summary>
internal sealed class CastFunction : Node
{
    private DType _inputType;

    public override string Name => "to";

    public static Variable Apply(Variable x, DType dtype)
    {
        Tensor y = x.Data.To(dtype);
        if (!dtype.IsFloatingPoint())
        {
            return new Variable(y);
        }

        return new CastFunction { _inputType = x.DType }.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) => [gradOutput.To(_inputType)];
}
