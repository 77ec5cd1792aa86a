using Spamp.Functions;

namespace Spamp;

public partial class Variable
{
    /// <summary>
    /// Scaled dot-product attention, as <c>torch.nn.functional.scaled_dot_product_attention</c>:
    /// <c>softmax(query @ key^T * scale + mask) @ value</c> on [B, H, T, D] tensors, through the fused
    /// kernel (see <see cref="Tensor.ScaledDotProductAttention(Tensor, Tensor, Tensor, Tensor?, double, bool, double?, Tensor?, Generator?)"/>
    /// for the masks' conventions). Differentiable in query, key and value; the masks are constants.
    /// </summary>
    /// <param name="query">[B, H, Tq, D].</param>
    /// <param name="key">[B, H, Tk, D].</param>
    /// <param name="value">[B, H, Tk, Dv].</param>
    /// <param name="attnMask">Optional, broadcastable to [B, H, Tq, Tk]: Bool (true = may attend) or additive.</param>
    /// <param name="dropoutP">Dropout probability on the attention weights (default 0).</param>
    /// <param name="isCausal">Hide keys after each query (top-left aligned).</param>
    /// <param name="scale">Score multiplier; default 1/sqrt(D).</param>
    /// <param name="keyPaddingMask">Optional Bool [B, Tk], true = ignore that key.</param>
    /// <param name="generator">Source of the dropout mask (default <see cref="Generator.Default"/>).</param>
    /// <returns>[B, H, Tq, Dv]; rows with no visible key are 0.</returns>
    public static Variable ScaledDotProductAttention(Variable query, Variable key, Variable value, Tensor? attnMask = null,
        double dropoutP = 0, bool isCausal = false, double? scale = null, Tensor? keyPaddingMask = null, Generator? generator = null) =>
        ScaledDotProductAttentionFunction.Apply(query, key, value, attnMask, dropoutP, isCausal, scale, keyPaddingMask, generator);
}
