namespace Spamp.Layers;

public static partial class Functional
{
    /// <summary>
    /// torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p,
    /// is_causal, scale) on [B, H, T, D] variables, through the fused kernel; see
    /// <see cref="Variable.ScaledDotProductAttention"/> (Bool attn_mask: true = may attend; a query
    /// with no visible key gives 0, not NaN). <paramref name="keyPaddingMask"/> ([B, Tk], true =
    /// ignore) is an addition of ours.
    /// </summary>
    public static Variable ScaledDotProductAttention(Variable query, Variable key, Variable value, Tensor? attnMask = null,
        double dropoutP = 0.0, bool isCausal = false, double? scale = null, Tensor? keyPaddingMask = null, Generator? generator = null) =>
        Variable.ScaledDotProductAttention(query, key, value, attnMask, dropoutP, isCausal, scale, keyPaddingMask, generator);
}
