namespace Spamp.Functions;

/// <summary>
/// A copy of x (clone), or a contiguous version of it (contiguous: a copy only when x is strided).
/// The values are unchanged, so the derivative is the identity: the gradient passes through.
/// </summary>
internal sealed class CloneFunction : Node
{
    private bool _onlyIfNeeded;

    public override string Name => _onlyIfNeeded ? "contiguous" : "clone";

    public static Variable Apply(Variable x, bool onlyIfNeeded)
    {
        Tensor y = onlyIfNeeded ? x.Data.Contiguous() : x.Data.Clone();
        return new CloneFunction { _onlyIfNeeded = onlyIfNeeded }.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) => [gradOutput.Alias()];
}
