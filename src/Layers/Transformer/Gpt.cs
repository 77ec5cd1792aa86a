namespace Spamp.Layers;

/// <summary>
/// A GPT-2 style language model, as nanoGPT's GPT: token + position embeddings, dropout,
/// <see cref="GptConfig.NLayer"/> pre-norm <see cref="GptBlock"/>s, a final LayerNorm and a linear
/// head to vocabulary logits. State-dict names follow nanoGPT (<c>transformer.wte.weight</c>,
/// <c>transformer.h.0.attn.c_attn.weight</c>, <c>transformer.ln_f.weight</c>, <c>lm_head.weight</c>).
/// <para>
/// Initialisation as nanoGPT: every Linear weight and embedding N(0, 0.02), biases zero, and the
/// residual projections (<c>c_proj.weight</c>) N(0, 0.02 / sqrt(2 * n_layer)). With
/// <see cref="GptConfig.TieWeights"/> the head multiplies by the token embedding matrix and has no
/// parameter of its own, so the state dict has no <c>lm_head.weight</c> (nanoGPT lists the shared
/// tensor under both names; load such a checkpoint with strict: false).
/// </para>
/// </summary>
public sealed class Gpt : Module
{
    /// <summary>Builds the model and initialises it as nanoGPT does.</summary>
    /// <param name="config">The hyper-parameters.</param>
    /// <param name="generator">Source of initial values and dropout masks (default <see cref="Generator.Default"/>).</param>
    public Gpt(GptConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Transformer = RegisterModule("transformer", new GptTransformer(config, generator));
        if (!config.TieWeights)
        {
            LmHead = RegisterModule("lm_head", new Linear(config.NEmbd, config.VocabSize, bias: false, generator: generator));
        }

        double residualStd = 0.02 / Math.Sqrt(2.0 * config.NLayer);
        foreach (var (name, parameter) in NamedParameters())
        {
            if (name.EndsWith("c_proj.weight", StringComparison.Ordinal))
            {
                Init.Normal(parameter.Data, 0, residualStd, generator);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                Init.Zeros(parameter.Data);
            }
            else if (parameter.Rank == 2)
            {
                Init.Normal(parameter.Data, 0, 0.02, generator);
            }
        }
    }

    /// <summary>The hyper-parameters.</summary>
    public GptConfig Config { get; }

    /// <summary>Embeddings, blocks and the final norm.</summary>
    public GptTransformer Transformer { get; }

    /// <summary>The vocabulary head, or null when it is tied to the token embedding.</summary>
    public Linear? LmHead { get; }

    /// <summary>Number of parameters (nanoGPT's get_num_params counts the shared matrix once, as here).</summary>
    public long NumParameters()
    {
        long count = 0;
        foreach (Parameter p in Parameters())
        {
            count += p.Numel;
        }

        return count;
    }

    /// <summary>Logits [B, T, vocab] for the Int64 token ids <paramref name="idx"/> [B, T] (T at most block_size).</summary>
    public Variable Forward(Tensor idx)
    {
        CheckIds(idx);
        return RunForward(() => Logits(idx));
    }

    /// <summary>The logits of the token ids in <paramref name="input"/>'s data, so a generic training loop can call <see cref="Module.Forward(Variable)"/>.</summary>
    protected override Variable ForwardCore(Variable input)
    {
        CheckIds(input.Data);
        return Logits(input.Data);
    }

    private void CheckIds(Tensor idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        if (idx.Rank != 2 || idx.Shape[1] > Config.BlockSize)
        {
            throw new ShapeMismatchException($"gpt: idx must be [B, T] with T <= block_size {Config.BlockSize}, got {idx.Shape}", nameof(idx));
        }
    }

    private Variable Logits(Tensor idx)
    {
        int t = idx.Shape[1];
        using Tensor positions = Tensor.Arange(0, t, 1, DType.Int64, idx.Device);
        Variable x = Transformer.Wte.Forward(idx) + Transformer.Wpe.Forward(positions);
        x = Transformer.H.Forward(Transformer.Drop.Forward(x));
        x = Transformer.LnF.Forward(x);
        return LmHead is null ? Functional.Linear(x, Transformer.Wte.Weight) : LmHead.Forward(x);
    }
}
