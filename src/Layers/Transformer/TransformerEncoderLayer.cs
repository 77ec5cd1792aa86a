namespace Spamp.Layers;

/// <summary>
/// One transformer encoder layer, as torch.nn.TransformerEncoderLayer with <c>batch_first=True</c>:
/// self-attention and a feed-forward network, each wrapped in dropout, a residual connection and a
/// layer norm, after the sum (post-norm, PyTorch's default) or before the block (<c>normFirst</c>).
/// <code>
/// post-norm: x = norm1(x + dropout1(self_attn(x)));  x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))
/// pre-norm:  x = x + dropout1(self_attn(norm1(x)));  x = x + dropout2(linear2(dropout(act(linear1(norm2(x))))))
/// </code>
/// Submodules carry PyTorch's names (self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
/// dropout2), registered in PyTorch's order, so state dicts interchange.
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    private readonly Func<Variable, Variable> _activation;

    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="dModel">Model dimension E.</param>
    /// <param name="nhead">Number of attention heads.</param>
    /// <param name="dimFeedforward">Hidden size of the feed-forward network (default 2048).</param>
    /// <param name="dropout">Dropout probability everywhere (default 0.1).</param>
    /// <param name="activation">"relu" (default) or "gelu" (exact).</param>
    /// <param name="layerNormEps">LayerNorm epsilon (default 1e-5).</param>
    /// <param name="normFirst">Pre-norm when true (default false: post-norm).</param>
    /// <param name="bias">Whether linear layers and layer norms have biases (default true).</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of initial values and dropout masks (default <see cref="Generator.Default"/>).</param>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool normFirst = false, bool bias = true, DType dtype = DType.Float32, Device? device = null,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(activation);
        _activation = activation switch
        {
            "relu" => x => x.Relu(),
            "gelu" => x => x.Gelu(),
            _ => throw new ArgumentException($"transformer_encoder_layer: activation should be relu or gelu, not {activation}", nameof(activation)),
        };
        Activation = activation;
        NormFirst = normFirst;
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, dtype, device, generator));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, dtype, device, generator));
        Dropout = RegisterModule("dropout", new Dropout(dropout, generator));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, dtype, device, generator));
        Norm1 = RegisterModule("norm1", new LayerNorm([dModel], layerNormEps, elementwiseAffine: true, bias: bias, dtype: dtype, device: device));
        Norm2 = RegisterModule("norm2", new LayerNorm([dModel], layerNormEps, elementwiseAffine: true, bias: bias, dtype: dtype, device: device));
        Dropout1 = RegisterModule("dropout1", new Dropout(dropout, generator));
        Dropout2 = RegisterModule("dropout2", new Dropout(dropout, generator));
    }

    /// <summary>The activation's name ("relu" or "gelu").</summary>
    public string Activation { get; }

    /// <summary>Pre-norm (true) or post-norm (false).</summary>
    public bool NormFirst { get; }

    /// <summary>Self-attention.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>Feed-forward input layer E -> dim_feedforward.</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout after the activation.</summary>
    public Dropout Dropout { get; }

    /// <summary>Feed-forward output layer dim_feedforward -> E.</summary>
    public Linear Linear2 { get; }

    /// <summary>Norm of the attention block.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Norm of the feed-forward block.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Dropout on the attention block's output.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>Dropout on the feed-forward block's output.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>Runs the layer (PyTorch's forward(src, src_mask, src_key_padding_mask, is_causal)).</summary>
    /// <param name="src">[B, T, E].</param>
    /// <param name="srcMask">Optional [T, T] or [B*H, T, T]: Bool, true = may NOT attend; or floating, added.</param>
    /// <param name="srcKeyPaddingMask">Optional [B, T]: Bool, true = padding to ignore; or floating, added.</param>
    /// <param name="isCausal">Apply a causal mask (no need to build one).</param>
    public Variable Forward(Variable src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false) =>
        RunForward(() => Layer(src, srcMask, srcKeyPaddingMask, isCausal), src);

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => Layer(input, null, null, false);

    private Variable Layer(Variable src, Tensor? mask, Tensor? padding, bool isCausal)
    {
        if (NormFirst)
        {
            Variable x = src + SelfAttentionBlock(Norm1.Forward(src), mask, padding, isCausal);
            return x + FeedForwardBlock(Norm2.Forward(x));
        }

        Variable y = Norm1.Forward(src + SelfAttentionBlock(src, mask, padding, isCausal));
        return Norm2.Forward(y + FeedForwardBlock(y));
    }

    private Variable SelfAttentionBlock(Variable x, Tensor? mask, Tensor? padding, bool isCausal)
    {
        Variable attended = SelfAttn.Forward(x, x, x, padding, mask, isCausal).Output;
        return Dropout1.Forward(attended);
    }

    private Variable FeedForwardBlock(Variable x) =>
        Dropout2.Forward(Linear2.Forward(Dropout.Forward(_activation(Linear1.Forward(x)))));
}
