namespace Spamp.Functions;

/// <summary>
/// y = mean over each window (with PyTorch's divisor rules). Linear in x: the backward spreads each
/// output gradient, divided by its window's divisor, evenly over the window's input elements.
/// </summary>
internal sealed class AvgPool2dFunction : Node
{
    private Pool2dGeometry _geometry;
    private bool _countIncludePad;
    private int? _divisorOverride;

    public override string Name => "avg_pool2d";

    public static Variable Apply(Variable x, in Pool2dGeometry geometry, bool countIncludePad, int? divisorOverride)
    {
        Tensor y = Tensor.AvgPool2d(x.Data, geometry, countIncludePad, divisorOverride);
        var node = new AvgPool2dFunction { _geometry = geometry, _countIncludePad = countIncludePad, _divisorOverride = divisorOverride };
        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [Tensor.AvgPool2dBackward(gradOutput, _geometry, _countIncludePad, _divisorOverride)];
}
