namespace Spamp.Functions;

/// <summary>
/// Group norm of [N, C, *]: each (sample, group of C/G channels) is normalised over its elements,
/// then scaled and shifted per channel. The backward is the layer-norm formula per (sample, group)
/// with g = dy * w[c]: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), dw[c] = sum dy * xhat,
/// db[c] = sum dy over samples and positions; all from one fused backend primitive.
/// </summary>
internal sealed class GroupNormFunction : Node
{
    private Tensor? _x;
    private Tensor? _weight;
    private Tensor? _mean;
    private Tensor? _rstd;
    private int _groups;

    public override string Name => "group_norm";

    public static Variable Apply(Variable x, int groups, Variable? weight, Variable? bias, double eps)
    {
        var (y, mean, rstd) = Tensor.GroupNorm(x.Data, groups, weight?.Data, bias?.Data, eps);
        var node = new GroupNormFunction { _groups = groups };
        if (Autograd.IsGradEnabled && (x.RequiresGrad || weight is { RequiresGrad: true } || bias is { RequiresGrad: true }))
        {
            node._x = node.Save(x.Data);
            node._weight = weight is null ? null : node.Save(weight.Data);
            node._mean = node.Save(mean);
            node._rstd = node.Save(rstd);
        }

        mean.Dispose();
        rstd.Dispose();
        return node.Record(y, x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        var (dx, dw, db) = Tensor.GroupNormBackward(_x!, gradOutput, _mean!, _rstd!, _weight, _groups, NeedsGrad(0), NeedsGrad(1), NeedsGrad(2));
        return [dx, dw, db];
    }
}
