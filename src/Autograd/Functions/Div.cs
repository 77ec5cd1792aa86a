namespace Spamp.Functions;

/// <summary>a / b. d/da = 1/b, d/db = -a/b^2.</summary>
internal sealed class DivFunction : Node
{
    private Tensor? _a;
    private Tensor? _b;

    public override string Name => "div";

    public static Variable Apply(Variable a, Variable b)
    {
        Tensor y = a.Data / b.Data;
        var node = new DivFunction();
        if (Autograd.IsGradEnabled && (a.RequiresGrad || b.RequiresGrad))
        {
            // Both sides' gradients divide by b; only b's needs a.
            node._b = node.Save(b.Data);
            if (b.RequiresGrad)
            {
                node._a = node.Save(a.Data);
            }
        }

        return node.Record(y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor? gradA = NeedsGrad(0) ? gradOutput / _b! : null;
        Tensor? gradB = null;
        if (NeedsGrad(1))
        {
            using Tensor scaled = gradOutput * _a!;
            using Tensor squared = _b!.Square();
            using Tensor quotient = scaled / squared;
            gradB = -quotient;
        }

        return [gradA, gradB];
    }
}
