namespace Spamp.Functions;

/// <summary>
/// Layer norm over the last <c>cols</c> elements of each row, and RMS norm (no centring) with the same
/// fused backend primitives. Forward: y = (x - mean) * rstd * w + b, rstd = 1/sqrt(var + eps)
/// (RMS: y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps)); the per-row mean and rstd are saved.
/// Backward, in one row pass: with xhat = (x - mean) * rstd and g = dy * w,
/// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) (RMS: without mean(g)),
/// dw = sum over rows of dy * xhat, db = sum over rows of dy.
/// </summary>
internal sealed class LayerNormFunction : Node
{
    private Tensor? _x;
    private Tensor? _weight;
    private Tensor? _mean;
    private Tensor? _rstd;
    private int _cols;
    private bool _rms;

    public override string Name => _rms ? "rms_norm" : "layer_norm";

    public static Variable Apply(Variable x, int cols, Variable? weight, Variable? bias, double eps, bool rms)
    {
        var (y, mean, rstd) = Tensor.LayerNorm(x.Data, cols, weight?.Data, bias?.Data, eps, rms);
        var node = new LayerNormFunction { _cols = cols, _rms = rms };
        if (Autograd.IsGradEnabled && (x.RequiresGrad || weight is { RequiresGrad: true } || bias is { RequiresGrad: true }))
        {
            node._x = node.Save(x.Data);
            node._weight = weight is null ? null : node.Save(weight.Data);
            node._mean = mean is null ? null : node.Save(mean);
            node._rstd = node.Save(rstd);
        }

        mean?.Dispose();
        rstd.Dispose();
        return node.Record(y, x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        var (dx, dw, db) = Tensor.LayerNormBackward(_x!, gradOutput, _mean, _rstd!, _weight, _cols, _rms, NeedsGrad(0), NeedsGrad(1), NeedsGrad(2));
        return [dx, Reshaped(dw, 1), Reshaped(db, 2)];
    }

    /// <summary>The [cols] gradient in the affine tensor's own shape (normalized_shape may have several dimensions).</summary>
    private Tensor? Reshaped(Tensor? grad, int input)
    {
        if (grad is null || Inputs[input]!.Shape == grad.Shape)
        {
            return grad;
        }

        Tensor shaped = grad.Reshape(Inputs[input]!.Shape.ToArray());
        grad.Dispose();
        return shaped;
    }
}
