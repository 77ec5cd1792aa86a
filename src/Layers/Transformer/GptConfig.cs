namespace Spamp.Layers;

/// <summary>
/// The hyper-parameters of <see cref="Gpt"/>, nanoGPT's GPTConfig with its defaults (GPT-2 small).
/// A character-level model for a small corpus is e.g.
/// <c>new GptConfig { BlockSize = 128, VocabSize = 65, NLayer = 4, NHead = 4, NEmbd = 256 }</c>.
/// </summary>
public sealed record GptConfig
{
    /// <summary>Context length: the most positions the model sees (default 1024).</summary>
    public int BlockSize { get; init; } = 1024;

    /// <summary>Vocabulary size (default 50304, GPT-2's 50257 padded to a multiple of 64).</summary>
    public int VocabSize { get; init; } = 50304;

    /// <summary>Number of blocks (default 12).</summary>
    public int NLayer { get; init; } = 12;

    /// <summary>Number of attention heads (default 12).</summary>
    public int NHead { get; init; } = 12;

    /// <summary>Model dimension (default 768).</summary>
    public int NEmbd { get; init; } = 768;

    /// <summary>Dropout probability in training (default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>Biases in linear layers and layer norms (default true, as GPT-2).</summary>
    public bool Bias { get; init; } = true;

    /// <summary>Whether lm_head shares the token embedding matrix (default true, as nanoGPT).</summary>
    public bool TieWeights { get; init; } = true;
}
