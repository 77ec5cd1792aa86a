using Spamp.Layers;

namespace Spamp.Examples.Sst2;

/// <summary>
/// A transformer encoder that classifies a sentence: token and learned position embeddings, a stack of
/// pre-norm <see cref="TransformerEncoderLayer"/>s that ignore padding, a final layer norm, the mean over the
/// sentence's real tokens, and a linear layer to class logits. Its input is the padded id matrix [B, T]; the
/// padding mask is recomputed from the padding id, so the model fits a trainer that passes one tensor.
/// </summary>
internal sealed class SentenceClassifier : Module
{
    private readonly int _padId;

    public SentenceClassifier(int vocabularySize, int padId, int maxLength, int modelWidth, int heads, int layers, double dropout, int classes, Generator generator)
    {
        _padId = padId;
        TokenEmbedding = RegisterModule("token_embedding", new Embedding(vocabularySize, modelWidth, paddingIdx: padId, generator: generator));
        PositionEmbedding = RegisterModule("position_embedding", new Embedding(maxLength, modelWidth, generator: generator));
        Layers = RegisterModule("layers", new Sequential());
        for (int i = 0; i < layers; i++)
        {
            // Pre-norm (norm_first) trains without warmup at Adam learning rates where post-norm needs one.
            Layers.Append(new TransformerEncoderLayer(modelWidth, heads, dimFeedforward: 4 * modelWidth, dropout, "gelu", normFirst: true, generator: generator));
        }

        Norm = RegisterModule("norm", new LayerNorm(modelWidth));
        Classifier = RegisterModule("classifier", new Linear(modelWidth, classes, generator: generator));
    }

    public Embedding TokenEmbedding { get; }

    public Embedding PositionEmbedding { get; }

    public Sequential Layers { get; }

    public LayerNorm Norm { get; }

    public Linear Classifier { get; }

    protected override Variable ForwardCore(Variable input)
    {
        Tensor ids = input.Data;
        using Tensor padding = ids.Eq(_padId);
        using Tensor positions = Tensor.Arange(0, ids.Shape[1], 1, DType.Int64);
        Variable x = TokenEmbedding.Forward(ids) + PositionEmbedding.Forward(positions);
        foreach (Module layer in Layers)
        {
            x = ((TransformerEncoderLayer)layer).Forward(x, srcKeyPaddingMask: padding);
        }

        x = Norm.Forward(x);

        // Mean over real tokens only: padding positions still produce outputs, which must not count.
        using Tensor keepMask = ids.Ne(_padId);
        using Tensor keep = keepMask.To(DType.Float32).Unsqueeze(2);
        using Tensor count = keep.Sum(1);
        Variable pooled = (x * new Variable(keep)).Sum(1) / new Variable(count);
        return Classifier.Forward(pooled);
    }
}
