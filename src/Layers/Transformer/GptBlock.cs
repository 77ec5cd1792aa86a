namespace Spamp.Layers;

/// <summary>
/// A GPT-2 style pre-norm decoder block (nanoGPT's Block): <c>x = x + attn(ln_1(x))</c> with causal
/// self-attention, then <c>x = x + mlp(ln_2(x))</c> with a 4x GELU MLP. Submodule names ln_1, attn
/// (c_attn, c_proj), ln_2, mlp (c_fc, c_proj) follow nanoGPT, so its state dicts load.
/// </summary>
public sealed class GptBlock : Module
{
    /// <summary>Creates the block.</summary>
    /// <param name="nEmbd">Model dimension E.</param>
    /// <param name="nHead">Number of heads.</param>
    /// <param name="dropout">Dropout probability (training only).</param>
    /// <param name="bias">Whether linear layers and layer norms have biases (nanoGPT's bias flag).</param>
    /// <param name="generator">Source of initial values and dropout masks (default <see cref="Generator.Default"/>).</param>
    public GptBlock(int nEmbd, int nHead, double dropout = 0.0, bool bias = true, Generator? generator = null)
    {
        Ln1 = RegisterModule("ln_1", new LayerNorm([nEmbd], bias: bias));
        Attn = RegisterModule("attn", new CausalSelfAttention(nEmbd, nHead, dropout, bias, generator));
        Ln2 = RegisterModule("ln_2", new LayerNorm([nEmbd], bias: bias));
        Mlp = RegisterModule("mlp", new GptMlp(nEmbd, dropout, bias, generator));
    }

    /// <summary>Norm before attention.</summary>
    public LayerNorm Ln1 { get; }

    /// <summary>Causal self-attention.</summary>
    public CausalSelfAttention Attn { get; }

    /// <summary>Norm before the MLP.</summary>
    public LayerNorm Ln2 { get; }

    /// <summary>The feed-forward network.</summary>
    public GptMlp Mlp { get; }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        Variable x = input + Attn.Forward(Ln1.Forward(input));
        return x + Mlp.Forward(Ln2.Forward(x));
    }
}
