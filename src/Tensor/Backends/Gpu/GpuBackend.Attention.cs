using Spamp.Backends.Kernels;
using Spamp.Memory;

namespace Spamp.Backends.Gpu;

public abstract partial class GpuBackend
{
    /// <summary>The edge of attention.cl's square work-groups (its TILE): query or key rows per work-group.</summary>
    private const int AttentionTile = 16;

    /// <inheritdoc/>
    /// <remarks>
    /// One work-group per (batch, head, tile of 16 query rows), sweeping the key tiles with an online
    /// softmax (attention.cl); the scores live only in local memory. Nothing is waited for.
    /// </remarks>
    public override void AttentionForward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, Storage logSumExp)
    {
        DType dtype = query.Storage.DType;
        RequireAttention("scaled_dot_product_attention", dtype);
        var (batch, heads, tq, _, _, _) = AttentionSizes(query, key, value);
        if (batch * heads == 0 || tq == 0)
        {
            return;
        }

        lock (Gate)
        {
            GpuKernel kernel = Kernel("attention", dtype, "attention_forward").Begin();
            Operands(kernel, query, key, value, output);
            kernel.Buffer(logSumExp);
            ScoreArguments(kernel, args, query, key, value, keyPaddingMask, attnMask);
            kernel.Launch3D(RoundUp(tq, AttentionTile), AttentionTile, batch * heads, AttentionTile, AttentionTile, 1);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Three launches: delta = dO . O per query row (into a pooled temporary), then the key and value
    /// gradients with one work-group per (batch, head, key tile) sweeping the query tiles, then the
    /// query gradient with one per query tile sweeping the key tiles. Both recompute the probabilities
    /// from the saved log-sum-exp; every gradient row is summed by one work-group in a fixed order, so
    /// results are deterministic without atomics. Nothing is waited for.
    /// </remarks>
    public override void AttentionBackward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, BufferView gradOutput, Storage logSumExp,
        BufferView gradQuery, BufferView gradKey, BufferView gradValue)
    {
        DType dtype = query.Storage.DType;
        RequireAttention("scaled_dot_product_attention backward", dtype);
        var (batch, heads, tq, tk, _, dv) = AttentionSizes(query, key, value);
        if (batch * heads == 0)
        {
            return;
        }

        int rows = batch * heads * tq;
        Storage delta = Storage.Allocate(this, dtype, Math.Max(rows, 1));
        try
        {
            lock (Gate)
            {
                if (rows > 0)
                {
                    Kernel("attention", dtype, "attention_delta").Begin()
                        .Buffer(output.Storage).Value(ViewDims(output.Layout)).Buffer(gradOutput.Storage).Value(ViewDims(gradOutput.Layout))
                        .Value(heads).Value(tq).Value(dv).Value(rows).Buffer(delta)
                        .Launch1D(rows, GroupSize);
                }

                if (tk > 0)
                {
                    GpuKernel keyValue = Kernel("attention", dtype, "attention_backward_key_value").Begin();
                    Operands(keyValue, query, key, value, gradOutput);
                    keyValue.Buffer(logSumExp).Buffer(delta);
                    Operands(keyValue, gradKey, gradValue);
                    ScoreArguments(keyValue, args, query, key, value, keyPaddingMask, attnMask);
                    keyValue.Launch3D(RoundUp(tk, AttentionTile), AttentionTile, batch * heads, AttentionTile, AttentionTile, 1);
                }

                if (tq > 0)
                {
                    GpuKernel queryGrad = Kernel("attention", dtype, "attention_backward_query").Begin();
                    Operands(queryGrad, query, key, value, gradOutput);
                    queryGrad.Buffer(logSumExp).Buffer(delta);
                    Operands(queryGrad, gradQuery);
                    ScoreArguments(queryGrad, args, query, key, value, keyPaddingMask, attnMask);
                    queryGrad.Launch3D(RoundUp(tq, AttentionTile), AttentionTile, batch * heads, AttentionTile, AttentionTile, 1);
                }
            }
        }
        finally
        {
            // The caching allocator hands the buffer out again only to work queued after these launches.
            delta.Release();
        }
    }

    private void RequireAttention(string op, DType dtype)
    {
        RequireFloat(op, dtype);
        if (MaxGroupSize < AttentionTile * AttentionTile)
        {
            throw new NotSupportedException(
                $"{op}: device {DeviceName} runs work-groups of at most {MaxGroupSize} work-items; the attention kernels need {AttentionTile * AttentionTile}");
        }
    }

    private static (int Batch, int Heads, int Tq, int Tk, int D, int Dv) AttentionSizes(BufferView query, BufferView key, BufferView value)
    {
        Shape q = query.Layout.Shape;
        return (q[0], q[1], q[2], key.Layout.Shape[2], q[3], value.Layout.Shape[3]);
    }

    /// <summary>A [B, H, T, width] view as attention.cl's Dims: offset, then the four strides.</summary>
    private static Dims8 ViewDims(Layout layout)
    {
        Dims8 dims = default;
        dims[0] = layout.Offset;
        for (int d = 0; d < layout.Rank; d++)
        {
            dims[d + 1] = layout.Strides[d];
        }

        return dims;
    }

    // Each view as (buffer, Dims), in order.
    private static void Operands(GpuKernel kernel, params ReadOnlySpan<BufferView> views)
    {
        foreach (BufferView view in views)
        {
            kernel.Buffer(view.Storage).Value(ViewDims(view.Layout));
        }
    }

    /// <summary>
    /// The arguments attention.cl's SCORE_PARAMETERS name: sizes, scale, the causal flag, the masks (an
    /// absent one flagged off, with the query's buffer standing in) and the dropout stream, whose
    /// keep test is the CPU's: the draw's top 24 bits below ceil((1 - p) 2^24).
    /// </summary>
    private void ScoreArguments(GpuKernel kernel, AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask)
    {
        var (_, heads, tq, tk, d, dv) = AttentionSizes(query, key, value);
        kernel.Value(heads).Value(tq).Value(tk).Value(d).Value(dv);
        Scalar(kernel, args.Scale);
        kernel.Value(args.IsCausal ? 1 : 0);

        Dims8 paddingView = default;
        if (keyPaddingMask is { } padding)
        {
            paddingView = ViewDims(padding.Layout);
        }

        kernel.Buffer(keyPaddingMask?.Storage ?? query.Storage).Value(paddingView).Value(keyPaddingMask is null ? 0 : 1);

        Dims8 maskView = default;
        int maskKind = 0;
        if (attnMask is { } mask)
        {
            maskView = ViewDims(mask.Layout);
            maskKind = mask.Storage.DType == DType.Bool ? 1 : 2;
        }

        kernel.Buffer(maskKind == 1 ? attnMask!.Value.Storage : query.Storage)
            .Buffer(maskKind == 2 ? attnMask!.Value.Storage : query.Storage)
            .Value(maskView).Value(maskKind);

        bool dropout = args.DropoutP > 0;
        double keep = 1 - args.DropoutP;
        kernel.Value(dropout ? 1 : 0).Value(args.DropoutSeed).Value(args.DropoutOffset)
            .Value(dropout ? (uint)Math.Ceiling(keep * 16777216.0) : 0u);
        Scalar(kernel, dropout && keep > 0 ? 1 / keep : 0);
    }
}
