namespace Spamp.Functions;

/// <summary>
/// condition ? a : b. The gradient goes to a where the condition holds and to b elsewhere (zero
/// for the other); the condition itself is not differentiable.
/// </summary>
internal sealed class WhereFunction : Node
{
    private Tensor? _condition;

    public override string Name => "where";

    public static Variable Apply(Tensor condition, Variable a, Variable b)
    {
        Tensor y = Tensor.Where(condition, a.Data, b.Data);
        var node = new WhereFunction();
        if (Autograd.IsGradEnabled && (a.RequiresGrad || b.RequiresGrad))
        {
            node._condition = node.Save(condition);
        }

        return node.Record(y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
    [
        NeedsGrad(0) ? Tensor.Where(_condition!, gradOutput, 0.0) : null,
        NeedsGrad(1) ? gradOutput.MaskedFill(_condition!, 0) : null,
    ];
}
