using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// A small transformer-encoder sentence classifier (the paper's SST-2 model, scaled down): token and
/// learned position embeddings, pre-norm <see cref="TransformerEncoderLayer"/>s that ignore padding, a final
/// layer norm, the mean of the non-padding positions, and a linear layer to class logits.
/// </summary>
public sealed class SentenceClassifier : Module
{
    /// <summary>Builds the model with initial weights from <paramref name="generator"/>.</summary>
    /// <param name="vocabularySize">Token ids are in [0, vocabularySize).</param>
    /// <param name="maxLength">The longest input (positions get their own embedding).</param>
    /// <param name="dModel">Embedding width.</param>
    /// <param name="heads">Attention heads per layer.</param>
    /// <param name="layers">Encoder layers.</param>
    /// <param name="feedForward">Hidden width of each layer's feed-forward network.</param>
    /// <param name="classes">Output classes.</param>
    /// <param name="dropout">Dropout inside the encoder layers (masks drawn from <paramref name="generator"/>).</param>
    /// <param name="generator">Source of initial values and dropout masks.</param>
    public SentenceClassifier(int vocabularySize, int maxLength, int dModel, int heads, int layers, int feedForward, int classes,
        double dropout, Generator generator)
    {
        TokenEmbedding = RegisterModule("token_embedding", new Embedding(vocabularySize, dModel, generator: generator));
        PositionEmbedding = RegisterModule("position_embedding", new Embedding(maxLength, dModel, generator: generator));

        // N(0, 0.02) as BERT and GPT, instead of Embedding's N(0, 1): the layer norms make the scale irrelevant
        // to the forward pass, and at this scale an Adam step of ~lr moves a word's vector fast enough to learn
        // it within a few hundred steps.
        Init.Normal(TokenEmbedding.Weight.Data, 0, 0.02, generator);
        Init.Normal(PositionEmbedding.Weight.Data, 0, 0.02, generator);
        // A Sequential only to hold the layers under the names layers.0, layers.1, ...: its own forward cannot pass the mask.
        Layers = RegisterModule("layers", new Sequential([.. Enumerable.Range(0, layers).Select(_ =>
            new TransformerEncoderLayer(dModel, heads, feedForward, dropout, normFirst: true, generator: generator))]));

        Norm = RegisterModule("norm", new LayerNorm([dModel]));
        Head = RegisterModule("head", new Linear(dModel, classes, generator: generator));
    }

    /// <summary>Token embedding.</summary>
    public Embedding TokenEmbedding { get; }

    /// <summary>Position embedding.</summary>
    public Embedding PositionEmbedding { get; }

    /// <summary>The encoder layers (<see cref="TransformerEncoderLayer"/>s).</summary>
    public Sequential Layers { get; }

    /// <summary>The final layer norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>The classification layer.</summary>
    public Linear Head { get; }

    /// <summary>Class logits [B, classes] for token ids [B, T] whose padding positions are true in <paramref name="paddingMask"/>.</summary>
    public Variable Forward(Tensor ids, Tensor paddingMask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(paddingMask);
        return RunForward(() =>
        {
            int t = ids.Shape[1];
            using Tensor positions = Tensor.Arange(0, t, 1, DType.Int64);
            Variable x = TokenEmbedding.Forward(ids) + PositionEmbedding.Forward(positions);
            foreach (TransformerEncoderLayer layer in Layers.Cast<TransformerEncoderLayer>())
            {
                x = layer.Forward(x, srcKeyPaddingMask: paddingMask);
            }

            x = Norm.Forward(x);

            // Mean over the real tokens only: padding is zeroed, and the sum divided by the sentence length.
            using Tensor padding = paddingMask.To(DType.Float32);
            using Tensor keep = (1.0 - padding).Unsqueeze(2);
            using Tensor length = keep.Sum([1]);
            Variable pooled = (x * new Variable(keep)).Sum(1) / new Variable(length);
            return Head.Forward(pooled);
        });
    }
}
