namespace Spamp.Layers;

/// <summary>
/// nn.MultiheadAttention's masks turned into what the fused kernel takes: a Bool key padding mask
/// passes through (true = ignore); a Bool attn_mask (true = may NOT attend) becomes an additive
/// 0/-inf mask, as PyTorch itself canonicalises it; floating masks are added. Owns what it creates.
/// </summary>
internal sealed class AttentionMasks : IDisposable
{
    private AttentionMasks(Tensor? additive, Tensor? padding)
    {
        Additive = additive;
        Padding = padding;
    }

    /// <summary>An additive mask broadcastable to [B, H, L, S], or null.</summary>
    public Tensor? Additive { get; }

    /// <summary>A Bool [B, S] key padding mask (true = ignore), or null.</summary>
    public Tensor? Padding { get; }

    /// <summary>Validates and converts the masks of one call (shapes as nn.MultiheadAttention documents them).</summary>
    public static AttentionMasks Build(Tensor? keyPaddingMask, Tensor? attnMask, int b, int h, int l, int s, DType dtype)
    {
        const string op = "multihead_attention";
        Tensor? additive = null, padding = null;
        if (attnMask is not null)
        {
            bool twoD = attnMask.Rank == 2 && attnMask.Shape == new Shape(l, s);
            bool threeD = attnMask.Rank == 3 && attnMask.Shape == new Shape(b * h, l, s);
            if (!twoD && !threeD)
            {
                throw new ShapeMismatchException(
                    $"{op}: attn_mask must be [L, S] = {new Shape(l, s)} or [B*num_heads, L, S] = {new Shape(b * h, l, s)}, got {attnMask.Shape}", nameof(attnMask));
            }

            using Tensor shaped = threeD ? attnMask.Reshape(b, h, l, s) : attnMask.Alias();
            additive = ToAdditive(shaped, dtype);
        }

        if (keyPaddingMask is not null)
        {
            if (keyPaddingMask.Shape != new Shape(b, s))
            {
                throw new ShapeMismatchException($"{op}: key_padding_mask must be [B, S] = {new Shape(b, s)}, got {keyPaddingMask.Shape}", nameof(keyPaddingMask));
            }

            if (keyPaddingMask.DType == DType.Bool)
            {
                padding = keyPaddingMask.Alias();
            }
            else
            {
                using Tensor column = keyPaddingMask.Reshape(b, 1, 1, s);
                using Tensor typed = ToAdditive(column, dtype);
                Tensor? previous = additive;
                additive = previous is null ? typed.Alias() : previous + typed;
                previous?.Dispose();
            }
        }

        return new AttentionMasks(additive, padding);
    }

    /// <summary>A Bool [L, S] mask that is true where key j comes after query i (j &gt; i), PyTorch's causal rule.</summary>
    public static Tensor CausalHidden(int l, int s)
    {
        var hidden = new bool[l * s];
        for (int i = 0; i < l; i++)
        {
            for (int j = i + 1; j < s; j++)
            {
                hidden[(i * s) + j] = true;
            }
        }

        return Tensor.From<bool>(hidden, new Shape(l, s));
    }

    private static Tensor ToAdditive(Tensor mask, DType dtype)
    {
        if (mask.DType == DType.Bool)
        {
            using Tensor zeros = Tensor.Zeros(mask.Shape, dtype, mask.Device);
            return zeros.MaskedFill(mask, double.NegativeInfinity);
        }

        if (!mask.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"multihead_attention: masks must be bool or floating point, got {mask.DType.Name()}");
        }

        return mask.To(dtype);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Additive?.Dispose();
        Padding?.Dispose();
    }
}
