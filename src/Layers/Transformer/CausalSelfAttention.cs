namespace Spamp.Layers;

/// <summary>
/// nanoGPT's CausalSelfAttention: one fused projection to q, k, v (<c>c_attn</c>, E -> 3E), causal
/// multi-head attention through the fused kernel with dropout on the weights in training, and the
/// output projection <c>c_proj</c> followed by residual dropout (<c>resid_dropout</c>).
/// The heads are strided views of the c_attn output and the kernel writes its result in [B, T, H, D]
/// order, so neither the split nor the merge of heads copies anything.
/// </summary>
public sealed class CausalSelfAttention : Module
{
    private readonly double _dropout;
    private readonly Generator? _generator;

    /// <summary>Creates the block.</summary>
    /// <param name="nEmbd">Model dimension E.</param>
    /// <param name="nHead">Number of heads (divides E).</param>
    /// <param name="dropout">Dropout on the attention weights and on the output (training only).</param>
    /// <param name="bias">Whether the projections have biases.</param>
    /// <param name="generator">Source of initial values and dropout masks (default <see cref="Generator.Default"/>).</param>
    public CausalSelfAttention(int nEmbd, int nHead, double dropout = 0.0, bool bias = true, Generator? generator = null)
    {
        if (nEmbd <= 0 || nHead <= 0 || nEmbd % nHead != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nHead), $"causal_self_attention: n_embd ({nEmbd}) must be positive and divisible by n_head ({nHead})");
        }

        NEmbd = nEmbd;
        NHead = nHead;
        _dropout = dropout;
        _generator = generator;
        CAttn = RegisterModule("c_attn", new Linear(nEmbd, 3 * nEmbd, bias, generator: generator));
        CProj = RegisterModule("c_proj", new Linear(nEmbd, nEmbd, bias, generator: generator));
        ResidDropout = RegisterModule("resid_dropout", new Dropout(dropout, generator));
    }

    /// <summary>Model dimension E.</summary>
    public int NEmbd { get; }

    /// <summary>Number of heads.</summary>
    public int NHead { get; }

    /// <summary>The q, k, v projection E -> 3E.</summary>
    public Linear CAttn { get; }

    /// <summary>The output projection E -> E.</summary>
    public Linear CProj { get; }

    /// <summary>Dropout on the output.</summary>
    public Dropout ResidDropout { get; }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        if (input.Rank != 3 || input.Shape[2] != NEmbd)
        {
            throw new ShapeMismatchException($"causal_self_attention: input must be [B, T, {NEmbd}], got {input.Shape}", nameof(input));
        }

        int b = input.Shape[0], t = input.Shape[1], e = NEmbd, h = NHead, d = e / h;
        Variable qkv = CAttn.Forward(input);
        Variable Heads(int part) => qkv.Slice(-1, part * e, (part + 1) * e).Reshape(b, t, h, d).Permute(0, 2, 1, 3);
        Variable y = Variable.ScaledDotProductAttention(Heads(0), Heads(1), Heads(2),
            dropoutP: Training ? _dropout : 0.0, isCausal: true, generator: _generator);
        Variable merged = y.Permute(0, 2, 1, 3).Reshape(b, t, e);
        return ResidDropout.Forward(CProj.Forward(merged));
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"n_embd={NEmbd}, n_head={NHead}, dropout={_dropout}";
}
