namespace Spamp.Functions;

/// <summary>a - b. d/da = 1, d/db = -1: the gradient passes to a unchanged and to b negated (the engine sums both back over broadcast dimensions).</summary>
internal sealed class SubFunction : Node
{
    public override string Name => "sub";

    public static Variable Apply(Variable a, Variable b) => new SubFunction().Record(a.Data - b.Data, a, b);

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [NeedsGrad(0) ? gradOutput.Alias() : null, NeedsGrad(1) ? -gradOutput : null];
}
