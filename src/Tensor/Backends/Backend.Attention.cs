using Spamp.Memory;

namespace Spamp.Backends;

/// <summary>A device buffer seen through a layout: one operand of a fused primitive.</summary>
/// <param name="Storage">The buffer.</param>
/// <param name="Layout">Shape, strides (elements) and offset of the view.</param>
public readonly record struct BufferView(Storage Storage, Layout Layout);

/// <summary>
/// The scalar settings of fused scaled-dot-product attention, as
/// <c>torch.nn.functional.scaled_dot_product_attention</c> takes them.
/// </summary>
/// <param name="Scale">Multiplies Q K^T before the mask is added (PyTorch's default is 1/sqrt(D)).</param>
/// <param name="IsCausal">Key j is hidden from query i when j &gt; i (top-left aligned, as PyTorch's is_causal).</param>
/// <param name="DropoutP">Probability of zeroing an attention weight (survivors are scaled by 1/(1-p)); 0 for none.</param>
/// <param name="DropoutSeed">Philox key of the dropout mask.</param>
/// <param name="DropoutOffset">
/// First Philox counter of the mask: weight (b, h, i, j) keeps when its bernoulli(1-p) draw, element
/// ((b*H + h)*Tq + i)*Tk + j of the 32-bit family (<see cref="PhiloxStream"/>), is one. Backward
/// regenerates the same mask from (seed, offset) instead of storing it.
/// </param>
public readonly record struct AttentionArgs(double Scale, bool IsCausal, double DropoutP = 0, ulong DropoutSeed = 0, ulong DropoutOffset = 0);

public abstract partial class Backend
{
    // ---- attention -----------------------------------------------------------------------------

    /// <summary>
    /// Fused attention forward: O = dropout(softmax(Q K^T * scale + mask)) V, flash-attention style.
    /// <para>
    /// query is [B, H, Tq, D], key [B, H, Tk, D], value [B, H, Tk, Dv], output [B, H, Tq, Dv]: each
    /// with unit stride in the last dimension and a row stride of at least its width (the batch and
    /// head strides are free, 0 included), so heads sliced out of a fused projection need no copy.
    /// keyPaddingMask (Bool, [B, Tk]) hides key j of batch b where true. attnMask is expanded to
    /// [B, H, Tq, Tk]: Bool (true = may attend, PyTorch's SDPA convention) or of the compute dtype
    /// (added to the scores). A row with no visible key gives 0 (not NaN).
    /// </para>
    /// logSumExp is a contiguous [B, H, Tq] tensor of the compute dtype that receives each row's
    /// log(sum(exp(score))) (+infinity for a fully masked row): with the output it is all backward needs.
    /// </summary>
    public abstract void AttentionForward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, Storage logSumExp);

    /// <summary>
    /// Gradients of <see cref="AttentionForward"/> with respect to query, key and value from the
    /// gradient of the output (same layout rules; the gradient views are written, not accumulated).
    /// The probabilities are recomputed from (query, key, masks, logSumExp) and the dropout mask from
    /// (seed, offset).
    /// </summary>
    public abstract void AttentionBackward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, BufferView gradOutput, Storage logSumExp,
        BufferView gradQuery, BufferView gradKey, BufferView gradValue);
}
