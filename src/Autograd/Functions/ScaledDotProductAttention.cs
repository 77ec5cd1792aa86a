using Spamp.Backends;

namespace Spamp.Functions;

/// <summary>
/// O = dropout(softmax(Q K^T * scale + mask)) V through the fused kernel. Forward saves only Q, K,
/// V, O and the per-row log-sum-exp L (not the Tq x Tk weights); backward recomputes
/// P = exp(Q K^T * scale + mask - L) one row block at a time and the dropout mask z from the
/// reserved Philox range, then dV = (P z)^T dO, dS = P (dO V^T z - rowsum(dO O)),
/// dQ = scale * dS K and dK = scale * dS^T Q. The masks are constants (no gradient).
/// </summary>
internal sealed class ScaledDotProductAttentionFunction : Node
{
    private Tensor? _q, _k, _v, _o, _lse, _mask, _padding;
    private AttentionArgs _args;

    public override string Name => "scaled_dot_product_attention";

    public static Variable Apply(Variable query, Variable key, Variable value, Tensor? attnMask, double dropoutP, bool isCausal,
        double? scale, Tensor? keyPaddingMask, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        AttentionArgs args = Tensor.AttentionSettings(query.Data, key.Data, dropoutP, isCausal, scale, generator);
        Tensor output = Tensor.ScaledDotProductAttention(query.Data, key.Data, value.Data, attnMask, keyPaddingMask, args, out Tensor lse);
        var node = new ScaledDotProductAttentionFunction { _args = args };
        if (Autograd.IsGradEnabled && (query.RequiresGrad || key.RequiresGrad || value.RequiresGrad))
        {
            node._q = node.Save(query.Data);
            node._k = node.Save(key.Data);
            node._v = node.Save(value.Data);
            node._o = node.Save(output);
            node._lse = node.Save(lse);
            node._mask = attnMask is null ? null : node.Save(attnMask);
            node._padding = keyPaddingMask is null ? null : node.Save(keyPaddingMask);
        }

        lse.Dispose();
        return node.Record(output, query, key, value);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        var (dq, dk, dv) = Tensor.ScaledDotProductAttentionBackward(gradOutput, _q!, _k!, _v!, _o!, _lse!, _mask, _padding, _args);
        return [Keep(0, dq), Keep(1, dk), Keep(2, dv)];
    }

    private Tensor? Keep(int input, Tensor gradient)
    {
        if (NeedsGrad(input))
        {
            return gradient;
        }

        gradient.Dispose();
        return null;
    }
}
