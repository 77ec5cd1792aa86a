namespace Spamp.Layers;

/// <summary>The result of <see cref="MultiheadAttention.Forward"/>: PyTorch's (attn_output, attn_output_weights) pair.</summary>
/// <param name="Output">[B, L, E].</param>
/// <param name="Weights">
/// The attention weights when asked for (need_weights): [B, L, S] averaged over heads, or
/// [B, H, L, S] when not averaged; otherwise null.
/// </param>
public readonly record struct AttentionOutput(Variable Output, Variable? Weights);

/// <summary>
/// Multi-head attention, as torch.nn.MultiheadAttention with <c>batch_first=True</c>:
/// <c>out_proj(concat_h(softmax(q_h k_h^T / sqrt(E/H) + mask) v_h))</c> with q, k, v the three
/// row blocks of <c>in_proj_weight</c> applied to query, key and value.
/// <para>
/// Parameters (PyTorch's names, so state dicts interchange): <c>in_proj_weight</c> [3E, E],
/// <c>in_proj_bias</c> [3E], <c>out_proj.weight</c> [E, E], <c>out_proj.bias</c> [E].
/// Initialisation as PyTorch: out_proj is a Linear (kaiming-uniform), then in_proj_weight is
/// xavier-uniform and both biases are zero. key and value must have the embedding size
/// (PyTorch's kdim/vdim, add_bias_kv and add_zero_attn are not supported).
/// </para>
/// <para>
/// Without <c>needWeights</c> (the default here; PyTorch's default is true) the heads run through the
/// fused <see cref="Variable.ScaledDotProductAttention"/> kernel with no copies between the projection
/// and the heads; a query that can see no key then gives 0 where PyTorch gives NaN. With it, the
/// weights are formed explicitly by plain ops, exactly as PyTorch's slow path.
/// </para>
/// </summary>
public sealed class MultiheadAttention : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="embedDim">E, the model dimension.</param>
    /// <param name="numHeads">H; E must be divisible by it.</param>
    /// <param name="dropout">Dropout probability on the attention weights in training (default 0).</param>
    /// <param name="bias">Whether the projections have biases (default true).</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of the initial values and dropout masks (default <see cref="Generator.Default"/>).</param>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0.0, bool bias = true,
        DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numHeads),
                $"multihead_attention: embed_dim ({embedDim}) must be positive and divisible by num_heads ({numHeads})");
        }

        if (!(dropout >= 0 && dropout <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "multihead_attention: dropout must be in [0, 1]");
        }

        EmbedDim = embedDim;
        NumHeads = numHeads;
        Dropout = dropout;
        Generator = generator;
        InProjWeight = RegisterParameter("in_proj_weight", Tensor.Zeros([3 * embedDim, embedDim], dtype, device));
        InProjBias = bias ? RegisterParameter("in_proj_bias", Tensor.Zeros([3 * embedDim], dtype, device)) : null;
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, dtype, device, generator));
        ResetParameters(generator);
    }

    /// <summary>E.</summary>
    public int EmbedDim { get; }

    /// <summary>H.</summary>
    public int NumHeads { get; }

    /// <summary>E / H.</summary>
    public int HeadDim => EmbedDim / NumHeads;

    /// <summary>Dropout probability on the attention weights (training only).</summary>
    public double Dropout { get; }

    /// <summary>The generator dropout masks come from (null: <see cref="Spamp.Generator.Default"/>).</summary>
    public Generator? Generator { get; set; }

    /// <summary>The stacked query, key and value projections, [3E, E].</summary>
    public Parameter InProjWeight { get; }

    /// <summary>Their biases, [3E], or null.</summary>
    public Parameter? InProjBias { get; }

    /// <summary>The output projection E -> E.</summary>
    public Linear OutProj { get; }

    /// <summary>PyTorch's _reset_parameters: xavier_uniform_ in_proj_weight, zero biases (out_proj.weight keeps its Linear initialisation).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.XavierUniform(InProjWeight.Data, generator: generator);
        if (InProjBias is not null)
        {
            Init.Zeros(InProjBias.Data);
        }

        if (OutProj.Bias is not null)
        {
            Init.Zeros(OutProj.Bias.Data);
        }
    }

    /// <summary>
    /// Attends from <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>
    /// (pass the same variable three times for self-attention, which then runs one fused projection).
    /// </summary>
    /// <param name="query">[B, L, E].</param>
    /// <param name="key">[B, S, E].</param>
    /// <param name="value">[B, S, E].</param>
    /// <param name="keyPaddingMask">Optional [B, S]: Bool, true = ignore that key; or floating, added to the scores.</param>
    /// <param name="attnMask">Optional [L, S] or [B*H, L, S]: Bool, true = may NOT attend (PyTorch's MHA convention); or floating, added.</param>
    /// <param name="isCausal">Also hide later keys from each query (a causal mask without building one).</param>
    /// <param name="needWeights">Also return the attention weights (slower: no fused kernel). Default false.</param>
    /// <param name="averageAttnWeights">Average the returned weights over heads (PyTorch's default true).</param>
    public AttentionOutput Forward(Variable query, Variable key, Variable value, Tensor? keyPaddingMask = null,
        Tensor? attnMask = null, bool isCausal = false, bool needWeights = false, bool averageAttnWeights = true)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        Variable? weights = null;
        Variable output = RunForward(
            () => Attend(query, key, value, keyPaddingMask, attnMask, isCausal, needWeights, averageAttnWeights, out weights),
            query, key, value);
        return new AttentionOutput(output, weights);
    }

    private Variable Attend(Variable query, Variable key, Variable value, Tensor? keyPaddingMask, Tensor? attnMask,
        bool isCausal, bool needWeights, bool averageWeights, out Variable? weights)
    {
        CheckInputs(query, key, value);
        int b = query.Shape[0], l = query.Shape[1], s = key.Shape[1], e = EmbedDim, h = NumHeads, d = HeadDim;

        // Project. Self-attention runs one [E -> 3E] product and slices it; the head views below
        // are strided views of the projection, which the fused kernel reads in place.
        Variable q, k, v;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            Variable qkv = Functional.Linear(query, InProjWeight, InProjBias);
            (q, k, v) = (qkv.Slice(-1, 0, e), qkv.Slice(-1, e, 2 * e), qkv.Slice(-1, 2 * e, 3 * e));
        }
        else
        {
            q = Project(query, 0);
            k = Project(key, 1);
            v = Project(value, 2);
        }

        q = q.Reshape(b, l, h, d).Permute(0, 2, 1, 3);
        k = k.Reshape(b, s, h, d).Permute(0, 2, 1, 3);
        v = v.Reshape(b, s, h, d).Permute(0, 2, 1, 3);
        double dropout = Training ? Dropout : 0.0;

        using var masks = AttentionMasks.Build(keyPaddingMask, attnMask, b, h, l, s, query.DType);
        Variable heads;
        if (needWeights)
        {
            heads = ExplicitAttention(q, k, v, masks, isCausal, dropout, out Variable w);
            weights = averageWeights ? w.Mean(1) : w;
        }
        else
        {
            heads = Variable.ScaledDotProductAttention(q, k, v, masks.Additive, dropout, isCausal, keyPaddingMask: masks.Padding, generator: Generator);
            weights = null;
        }

        // [B, H, L, D] -> [B, L, E]: the kernel wrote the heads as [B, L, H, D], so this is a view.
        Variable merged = heads.Permute(0, 2, 1, 3).Reshape(b, l, e);
        return OutProj.Forward(merged);
    }

    /// <summary>One of the three input projections: rows [part*E, (part+1)*E) of in_proj.</summary>
    private Variable Project(Variable x, int part)
    {
        int e = EmbedDim;
        Variable w = InProjWeight.Slice(0, part * e, (part + 1) * e);
        Variable? bias = InProjBias?.Slice(0, part * e, (part + 1) * e);
        return Functional.Linear(x, w, bias);
    }

    /// <summary>PyTorch's slow path: the weights as a tensor, for need_weights.</summary>
    private Variable ExplicitAttention(Variable q, Variable k, Variable v, AttentionMasks masks, bool isCausal, double dropout, out Variable weights)
    {
        Variable scores = Variable.MatMul(q, k.Transpose(-1, -2)) * (1.0 / Math.Sqrt(HeadDim));
        if (masks.Additive is not null)
        {
            scores += new Variable(masks.Additive.Alias());
        }

        if (masks.Padding is not null)
        {
            using Tensor hidden = masks.Padding.Reshape(masks.Padding.Shape[0], 1, 1, masks.Padding.Shape[1]);
            scores = scores.MaskedFill(hidden, double.NegativeInfinity);
        }

        if (isCausal)
        {
            int l = q.Shape[2], s = k.Shape[2];
            using Tensor upper = AttentionMasks.CausalHidden(l, s);
            scores = scores.MaskedFill(upper, double.NegativeInfinity);
        }

        weights = Functional.Dropout(scores.Softmax(-1), dropout, Training, Generator);
        return Variable.MatMul(weights, v);
    }

    private void CheckInputs(Variable query, Variable key, Variable value)
    {
        if (query.Rank != 3 || key.Rank != 3 || value.Rank != 3)
        {
            throw new ShapeMismatchException(
                $"multihead_attention: query, key and value must be 3-D [B, T, E] (batch_first), got {query.Shape}, {key.Shape} and {value.Shape}");
        }

        if (query.Shape[2] != EmbedDim || key.Shape[2] != EmbedDim || value.Shape[2] != EmbedDim)
        {
            throw new ShapeMismatchException(
                $"multihead_attention: the last dimension of query {query.Shape}, key {key.Shape} and value {value.Shape} must be embed_dim={EmbedDim}");
        }

        if (key.Shape[0] != query.Shape[0] || value.Shape[0] != query.Shape[0] || key.Shape[1] != value.Shape[1])
        {
            throw new ShapeMismatchException(
                $"multihead_attention: key {key.Shape} and value {value.Shape} must match each other in length and query {query.Shape} in batch size");
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"embed_dim={EmbedDim}, num_heads={NumHeads}, dropout={Dropout}, batch_first=True";
}
