namespace Spamp.Functions;

/// <summary>a * b. d/da = b, d/db = a.</summary>
internal sealed class MulFunction : Node
{
    private Tensor? _a;
    private Tensor? _b;

    public override string Name => "mul";

    public static Variable Apply(Variable a, Variable b)
    {
        var node = new MulFunction();
        if (Autograd.IsGradEnabled)
        {
            // Each side's gradient needs the other side's value.
            if (b.RequiresGrad)
            {
                node._a = node.Save(a.Data);
            }

            if (a.RequiresGrad)
            {
                node._b = node.Save(b.Data);
            }
        }

        return node.Record(a.Data * b.Data, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [NeedsGrad(0) ? gradOutput * _b! : null, NeedsGrad(1) ? gradOutput * _a! : null];
}
