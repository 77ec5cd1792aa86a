namespace Spamp.Functions;

/// <summary>
/// y = (x - mean) * invstd * w + b per channel of [N, C, *]. In training mean and invstd are the
/// batch's, so they depend on x and the backward is
/// dx = w * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) (means over N and *); in evaluation
/// they are the running constants and dx = w * invstd * dy. dw = sum dy * xhat, db = sum dy. One
/// fused backend kernel each way; the running statistics are updated by the forward kernel, outside
/// the graph.
/// </summary>
internal sealed class BatchNormFunction : Node
{
    private Tensor? _x;
    private Tensor? _weight;
    private Tensor? _mean;
    private Tensor? _invstd;
    private bool _training;

    public override string Name => "batch_norm";

    public static Variable Apply(Variable x, Tensor? runningMean, Tensor? runningVar, Variable? weight, Variable? bias,
        bool training, double momentum, double eps)
    {
        var (y, mean, invstd) = Tensor.BatchNorm(x.Data, runningMean, runningVar, weight?.Data, bias?.Data, training, momentum, eps);
        var node = new BatchNormFunction { _training = training };
        if (Autograd.IsGradEnabled && (x.RequiresGrad || weight is { RequiresGrad: true } || bias is { RequiresGrad: true }))
        {
            node._x = node.Save(x.Data);
            node._weight = weight is null ? null : node.Save(weight.Data);
            node._mean = node.Save(mean);
            node._invstd = node.Save(invstd);
        }

        mean.Dispose();
        invstd.Dispose();
        return node.Record(y, x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        var (dx, dw, db) = Tensor.BatchNormBackward(_x!, gradOutput, _mean!, _invstd!, _weight, _training, NeedsGrad(0), NeedsGrad(1), NeedsGrad(2));
        return [dx, dw, db];
    }
}
