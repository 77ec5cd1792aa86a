namespace Spamp.Functions;

/// <summary>a + b. d/da = 1, d/db = 1: the gradient passes to both sides unchanged (the engine sums it back over broadcast dimensions).</summary>
internal sealed class AddFunction : Node
{
    public override string Name => "add";

    public static Variable Apply(Variable a, Variable b) => new AddFunction().Record(a.Data + b.Data, a, b);

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [NeedsGrad(0) ? gradOutput.Alias() : null, NeedsGrad(1) ? gradOutput.Alias() : null];
}
