namespace Spamp.Layers;

/// <summary>
/// The body of <see cref="Gpt"/> under the name <c>transformer</c> (nanoGPT's ModuleDict): token
/// embedding <c>wte</c>, position embedding <c>wpe</c>, dropout <c>drop</c>, the blocks <c>h</c>
/// (h.0, h.1, ...) and the final norm <c>ln_f</c>.
/// </summary>
public sealed class GptTransformer : Module
{
    internal GptTransformer(GptConfig config, Generator? generator)
    {
        Wte = RegisterModule("wte", new Embedding(config.VocabSize, config.NEmbd));
        Wpe = RegisterModule("wpe", new Embedding(config.BlockSize, config.NEmbd));
        Drop = RegisterModule("drop", new Dropout(config.Dropout, generator));
        var blocks = new Module[config.NLayer];
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i] = new GptBlock(config.NEmbd, config.NHead, config.Dropout, config.Bias, generator);
        }

        H = RegisterModule("h", new Sequential(blocks));
        LnF = RegisterModule("ln_f", new LayerNorm([config.NEmbd], bias: config.Bias));
    }

    /// <summary>Token embedding [vocab, E].</summary>
    public Embedding Wte { get; }

    /// <summary>Position embedding [block_size, E].</summary>
    public Embedding Wpe { get; }

    /// <summary>Dropout on the summed embeddings.</summary>
    public Dropout Drop { get; }

    /// <summary>The blocks, in order.</summary>
    public Sequential H { get; }

    /// <summary>The final layer norm.</summary>
    public LayerNorm LnF { get; }
}
