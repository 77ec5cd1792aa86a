using Spamp.Backends;

namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// Scaled dot-product attention, as <c>torch.nn.functional.scaled_dot_product_attention</c>:
    /// <c>softmax(query @ key^T * scale + mask) @ value</c>, with dropout on the weights, computed by a
    /// fused kernel that never holds a whole Tq x Tk score matrix.
    /// </summary>
    /// <param name="query">[B, H, Tq, D].</param>
    /// <param name="key">[B, H, Tk, D].</param>
    /// <param name="value">[B, H, Tk, Dv].</param>
    /// <param name="attnMask">
    /// Optional, broadcastable to [B, H, Tq, Tk]: Bool where <c>true</c> means the query may attend to
    /// the key (PyTorch's SDPA convention; nn.MultiheadAttention's is the opposite), or floating point,
    /// added to the scores.
    /// </param>
    /// <param name="dropoutP">Probability of zeroing an attention weight (PyTorch default 0); pass 0 in evaluation.</param>
    /// <param name="isCausal">Hide key j from query i when j &gt; i (top-left aligned, PyTorch's rule). Unlike PyTorch it may be combined with <paramref name="attnMask"/>.</param>
    /// <param name="scale">Multiplier of the scores; default 1/sqrt(D).</param>
    /// <param name="keyPaddingMask">Optional Bool [B, Tk], <c>true</c> = ignore that key (nn.MultiheadAttention's key_padding_mask).</param>
    /// <param name="generator">Source of the dropout mask (default <see cref="Generator.Default"/>).</param>
    /// <returns>
    /// [B, H, Tq, Dv]. A query row that sees no key returns 0 (PyTorch returns NaN). When
    /// <paramref name="query"/> is a head view of a [B, Tq, H, D] tensor the result is laid out the
    /// same way, so merging the heads back is a free reshape.
    /// </returns>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null,
        double dropoutP = 0, bool isCausal = false, double? scale = null, Tensor? keyPaddingMask = null, Generator? generator = null)
    {
        AttentionArgs args = AttentionSettings(query, key, dropoutP, isCausal, scale, generator);
        Tensor output = ScaledDotProductAttention(query, key, value, attnMask, keyPaddingMask, args, out Tensor logSumExp);
        logSumExp.Dispose();
        return output;
    }

    /// <summary>
    /// The settings of one attention call with PyTorch's defaults filled in: scale 1/sqrt(D) unless
    /// given, and, when <paramref name="dropoutP"/> &gt; 0, a fresh counter range of
    /// <paramref name="generator"/> reserved for the B*H*Tq*Tk dropout draws (so forward and backward
    /// see the same mask).
    /// </summary>
    public static AttentionArgs AttentionSettings(Tensor query, Tensor key, double dropoutP, bool isCausal, double? scale, Generator? generator)
    {
        const string op = "scaled_dot_product_attention";
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        CheckRank4(op, query, nameof(query), "[B, H, Tq, D]");
        CheckRank4(op, key, nameof(key), "[B, H, Tk, D]");
        if (!(dropoutP >= 0 && dropoutP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropoutP), dropoutP, $"{op}: dropout_p must be in [0, 1]");
        }

        double s = scale ?? (1.0 / Math.Sqrt(query.Shape[3]));
        if (!double.IsFinite(s))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), s, $"{op}: the scale must be finite (query shape {query.Shape})");
        }

        if (dropoutP == 0)
        {
            return new AttentionArgs(s, isCausal);
        }

        generator ??= Generator.Default;
        long draws = (long)query.Shape[0] * query.Shape[1] * query.Shape[2] * key.Shape[2];
        ulong offset = generator.Reserve(PhiloxStream.BlocksFor32(draws));
        return new AttentionArgs(s, isCausal, dropoutP, generator.Seed, offset);
    }

    /// <summary>
    /// Attention forward with explicit settings (see <see cref="AttentionSettings"/>), also returning
    /// the per-row log-sum-exp of the scores ([B, H, Tq], +infinity for a row with no visible key),
    /// which <see cref="ScaledDotProductAttentionBackward"/> needs.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask, Tensor? keyPaddingMask,
        AttentionArgs args, out Tensor logSumExp)
    {
        const string op = "scaled_dot_product_attention";
        DType compute = CheckAttention(op, query, key, value, attnMask, keyPaddingMask, args);
        int b = query.Shape[0], h = query.Shape[1], tq = query.Shape[2], dv = value.Shape[3];
        using Tensor q = AttentionOperand(query, compute);
        using Tensor k = AttentionOperand(key, compute);
        using Tensor v = AttentionOperand(value, compute);
        using Tensor? mask = AttentionMask(attnMask, compute, b, h, tq, key.Shape[2]);
        Tensor output = AttentionResult(query, b, h, tq, dv, compute);
        logSumExp = Empty(new Shape(b, h, tq), compute, query.Device);
        query.Backend.AttentionForward(args, q.AsBufferView(), k.AsBufferView(), v.AsBufferView(), keyPaddingMask?.AsBufferView(), mask?.AsBufferView(),
            output.AsBufferView(), logSumExp.Storage);
        return output.CastAndDispose(query.DType);
    }

    /// <summary>
    /// Gradients of scaled dot-product attention with respect to query, key and value, from the
    /// gradient of its output. Arguments are those of the forward call (the same masks and
    /// <paramref name="args"/>, so dropout regenerates the same mask) plus its output and log-sum-exp.
    /// </summary>
    public static (Tensor GradQuery, Tensor GradKey, Tensor GradValue) ScaledDotProductAttentionBackward(Tensor gradOutput,
        Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, Tensor? attnMask, Tensor? keyPaddingMask, AttentionArgs args)
    {
        const string op = "scaled_dot_product_attention_backward";
        ArgumentNullException.ThrowIfNull(gradOutput);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(logSumExp);
        DType compute = CheckAttention(op, query, key, value, attnMask, keyPaddingMask, args);
        int b = query.Shape[0], h = query.Shape[1], tq = query.Shape[2], tk = key.Shape[2];
        var outShape = new Shape(b, h, tq, value.Shape[3]);
        if (output.Shape != outShape || gradOutput.Shape != outShape)
        {
            throw new ShapeMismatchException($"{op}: output {output.Shape} and grad_output {gradOutput.Shape} must both be {outShape}");
        }

        if (logSumExp.Shape != new Shape(b, h, tq) || logSumExp.DType != compute)
        {
            throw new ShapeMismatchException($"{op}: logsumexp must be a {compute.Name()} tensor of shape {new Shape(b, h, tq)}, not {logSumExp.DType.Name()} {logSumExp.Shape}");
        }

        CheckSameDevice(op, query, output);
        CheckSameDevice(op, query, gradOutput);
        using Tensor q = AttentionOperand(query, compute);
        using Tensor k = AttentionOperand(key, compute);
        using Tensor v = AttentionOperand(value, compute);
        using Tensor o = AttentionOperand(output, compute);
        using Tensor dO = AttentionOperand(gradOutput, compute);
        using Tensor lse = logSumExp.ContiguousAs(compute);
        using Tensor? mask = AttentionMask(attnMask, compute, b, h, tq, tk);
        Tensor dq = AttentionResult(query, b, h, tq, query.Shape[3], compute);
        Tensor dk = AttentionResult(key, b, h, tk, key.Shape[3], compute);
        Tensor dv = AttentionResult(value, b, h, tk, value.Shape[3], compute);
        query.Backend.AttentionBackward(args, q.AsBufferView(), k.AsBufferView(), v.AsBufferView(), keyPaddingMask?.AsBufferView(), mask?.AsBufferView(),
            o.AsBufferView(), dO.AsBufferView(), lse.Storage, dq.AsBufferView(), dk.AsBufferView(), dv.AsBufferView());
        return (dq.CastAndDispose(query.DType), dk.CastAndDispose(key.DType), dv.CastAndDispose(value.DType));
    }

    /// <summary>This tensor's storage and layout as a backend operand.</summary>
    private BufferView AsBufferView() => new(Storage, Layout);

    private static void CheckRank4(string op, Tensor t, string name, string expected)
    {
        if (t.Rank != 4)
        {
            throw new ShapeMismatchException($"{op}: {name} must be 4-D {expected}, got shape {t.Shape}", name);
        }
    }

    /// <summary>Validates the operands of attention once and returns the dtype it computes in.</summary>
    private static DType CheckAttention(string op, Tensor query, Tensor key, Tensor value, Tensor? attnMask, Tensor? keyPaddingMask, AttentionArgs args)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckRank4(op, query, nameof(query), "[B, H, Tq, D]");
        CheckRank4(op, key, nameof(key), "[B, H, Tk, D]");
        CheckRank4(op, value, nameof(value), "[B, H, Tk, Dv]");
        CheckSameDevice(op, query, key);
        CheckSameDevice(op, query, value);
        if (!query.DType.IsFloatingPoint() || key.DType != query.DType || value.DType != query.DType)
        {
            throw new DTypeMismatchException(
                $"{op}: query, key and value must share one floating-point dtype, got {query.DType.Name()}, {key.DType.Name()} and {value.DType.Name()}");
        }

        Shape q = query.Shape, k = key.Shape, v = value.Shape;
        if (k[0] != q[0] || v[0] != q[0] || k[1] != q[1] || v[1] != q[1])
        {
            throw new ShapeMismatchException($"{op}: query {q}, key {k} and value {v} must share batch and head sizes [B, H, ...]");
        }

        if (k[3] != q[3])
        {
            throw new ShapeMismatchException($"{op}: key {k} must have the head dimension of query {q} (last dimension {q[3]})", nameof(key));
        }

        if (v[2] != k[2])
        {
            throw new ShapeMismatchException($"{op}: value {v} must have as many positions as key {k} (dimension 2)", nameof(value));
        }

        if (q[3] == 0 || v[3] == 0)
        {
            throw new ShapeMismatchException($"{op}: head dimensions must be positive: query {q}, value {v}");
        }

        if (!(args.DropoutP >= 0 && args.DropoutP <= 1) || !double.IsFinite(args.Scale))
        {
            throw new ArgumentOutOfRangeException(nameof(args), args, $"{op}: dropout_p must be in [0, 1] and the scale finite");
        }

        if (keyPaddingMask is not null)
        {
            CheckSameDevice(op, query, keyPaddingMask);
            if (keyPaddingMask.DType != DType.Bool || keyPaddingMask.Shape != new Shape(q[0], k[2]))
            {
                throw new ShapeMismatchException(
                    $"{op}: key_padding_mask must be a bool tensor of shape [B, Tk] = {new Shape(q[0], k[2])}, got {keyPaddingMask.DType.Name()} {keyPaddingMask.Shape}",
                    nameof(keyPaddingMask));
            }
        }

        if (attnMask is not null)
        {
            CheckSameDevice(op, query, attnMask);
            if (attnMask.DType != DType.Bool && !attnMask.DType.IsFloatingPoint())
            {
                throw new DTypeMismatchException($"{op}: attn_mask must be bool or floating point, got {attnMask.DType.Name()}");
            }

            var full = new Shape(q[0], q[1], q[2], k[2]);
            if (attnMask.Rank > 4 || Shape.TryBroadcast(attnMask.Shape, full) != full)
            {
                throw new ShapeMismatchException($"{op}: attn_mask of shape {attnMask.Shape} does not broadcast to [B, H, Tq, Tk] = {full}", nameof(attnMask));
            }
        }

        return ComputeType(query.DType);
    }

    /// <summary>
    /// An operand as the kernel takes it: the compute dtype, unit stride in the last dimension and
    /// rows at least a row apart. Head views of a projection already are, and are passed without a copy.
    /// </summary>
    private static Tensor AttentionOperand(Tensor t, DType compute)
    {
        if (t.DType != compute)
        {
            return t.To(compute);
        }

        ReadOnlySpan<int> s = t.Layout.Strides;
        bool unitInner = t.Shape[3] == 1 || s[3] == 1;
        bool rowsApart = t.Shape[2] <= 1 || s[2] >= t.Shape[3];
        return unitInner && rowsApart ? t.Alias() : t.Clone();
    }

    /// <summary>The attention mask in the compute dtype (floating) expanded to [B, H, Tq, Tk].</summary>
    private static Tensor? AttentionMask(Tensor? attnMask, DType compute, int b, int h, int tq, int tk)
    {
        if (attnMask is null)
        {
            return null;
        }

        using Tensor typed = attnMask.DType == DType.Bool || attnMask.DType == compute ? attnMask.Alias() : attnMask.To(compute);
        return typed.Expand(b, h, tq, tk);
    }

    /// <summary>
    /// A fresh [B, H, T, width] result laid out like <paramref name="like"/>: contiguous when it is,
    /// else as a head view of a contiguous [B, T, H, width] buffer, which is what follows a head
    /// split of a projection (so the merge back is a free view).
    /// </summary>
    private static Tensor AttentionResult(Tensor like, int b, int h, int t, int width, DType compute)
    {
        if (like.IsContiguous)
        {
            return Empty(new Shape(b, h, t, width), compute, like.Device);
        }

        using Tensor merged = Empty(new Shape(b, t, h, width), compute, like.Device);
        return merged.Transpose(1, 2);
    }
}
