namespace Spamp.Functions;

/// <summary>
/// The same elements in a new shape (reshape, view, flatten, squeeze, unsqueeze). Every element
/// keeps its place in row-major order, so the gradient is the output gradient reshaped back to
/// the input's shape.
/// </summary>
internal sealed class ReshapeFunction : Node
{
    private Shape _inputShape = Shape.Scalar;
    private bool _viewOnly;

    public override string Name => _viewOnly ? "view" : "reshape";

    public static Variable Apply(Variable x, int[] shape, bool viewOnly = false)
    {
        Tensor y = viewOnly ? x.Data.View(shape) : x.Data.Reshape(shape);
        return new ReshapeFunction { _inputShape = x.Shape, _viewOnly = viewOnly }.Record(y, x);
    }

    // The incoming gradient may be strided (e.g. an expanded one), so use Reshape, which copies only when it must.
    protected internal override Tensor?[] Backward(Tensor gradOutput) => [gradOutput.Reshape(_inputShape.ToArray())];
}
