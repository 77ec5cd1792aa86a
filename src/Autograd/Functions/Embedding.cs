namespace Spamp.Functions;

/// <summary>
/// Embedding lookup: out[..., :] = weight[indices[...], :]. The backward adds each output row's
/// gradient into the weight row it was read from (index-add, so repeated indices accumulate); the
/// row <c>padding_idx</c> receives no gradient, as in PyTorch.
/// </summary>
internal sealed class EmbeddingFunction : Node
{
    private Tensor? _indices;
    private Shape _weightShape = Shape.Scalar;
    private long? _paddingIndex;

    public override string Name => "embedding";

    /// <summary><paramref name="indices"/> is Int64 and range-checked by the caller.</summary>
    public static Variable Apply(Variable weight, Tensor indices, long? paddingIndex)
    {
        using Tensor flat = indices.Reshape(-1);
        using Tensor rows = weight.Data.IndexSelect(0, flat);
        Tensor output = rows.Reshape([.. indices.Shape.AsSpan(), weight.Shape[1]]);
        var node = new EmbeddingFunction { _weightShape = weight.Shape, _paddingIndex = paddingIndex };
        if (Autograd.IsGradEnabled && weight.RequiresGrad)
        {
            node._indices = node.Save(flat);
        }

        return node.Record(output, weight);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor grad = Tensor.Zeros(_weightShape, gradOutput.DType, gradOutput.Device);
        using Tensor rows = gradOutput.Reshape(-1, _weightShape[1]);
        grad.IndexAddInPlace(0, _indices!, rows);
        if (_paddingIndex is long padding)
        {
            using Tensor row = grad.Select(0, (int)padding);
            row.FillInPlace(0);
        }

        return [grad];
    }
}
