namespace Spamp.Functions;

/// <summary>
/// y = mean over PyTorch's adaptive windows (rows [floor(i*H/OH), ceil((i+1)*H/OH)), likewise columns).
/// The backward spreads each output gradient evenly over its window.
/// </summary>
internal sealed class AdaptiveAvgPool2dFunction : Node
{
    private Pool2dGeometry _geometry;

    public override string Name => "adaptive_avg_pool2d";

    public static Variable Apply(Variable x, in Pool2dGeometry geometry)
    {
        Tensor y = Tensor.AdaptiveAvgPool2d(x.Data, geometry);
        var node = new AdaptiveAvgPool2dFunction { _geometry = geometry };
        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) =>
        [Tensor.AdaptiveAvgPool2dBackward(gradOutput, _geometry)];
}
