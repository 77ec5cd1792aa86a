using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// Next-token prediction with a GPT (<see cref="Gpt"/>, nanoGPT's architecture) on fixed windows of a token
/// stream: the examples are consecutive, non-overlapping windows of <see cref="GptConfig.BlockSize"/>
/// tokens with their targets shifted by one (<see cref="TensorDataset.LanguageModelWindows"/>), shuffled
/// per epoch. The metric is perplexity, exp of the mean per-token cross-entropy over the evaluation windows.
/// </summary>
public abstract class LanguageModelTask : TrainingTask
{
    /// <summary>The model's hyper-parameters (vocabulary size included).</summary>
    public abstract GptConfig Config { get; }

    /// <inheritdoc/>
    public override TaskMetric Metric => TaskMetric.Perplexity;

    /// <inheritdoc/>
    public override Module BuildModel(ulong seed) => new Gpt(Config, new Generator(seed));

    /// <inheritdoc/>
    public override Variable Forward(Module model, Batch batch) => ((Gpt)model).Forward(batch.Inputs);

    /// <inheritdoc/>
    public override Variable Loss(Variable output, Tensor targets)
    {
        // Logits [B, T, V] against targets [B, T]: every position is one classification.
        return LanguageModelData.NextTokenLoss(output, targets);
    }

    /// <summary>The GPT's shape in words, for <see cref="TrainingTask.Description"/>.</summary>
    protected string ModelDescription =>
        $"GPT {Config.NLayer} layers, {Config.NHead} heads, d {Config.NEmbd}, context {Config.BlockSize}, vocabulary {Config.VocabSize}, tied head, dropout {Config.Dropout}, {ParameterCount()} parameters";

    /// <summary>
    /// The windows of <paramref name="tokens"/> (disposed here), keeping only the first
    /// <paramref name="maxWindows"/> when given.
    /// </summary>
    protected static TensorDataset Windows(Tensor tokens, int contextLength, int? maxWindows = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        using (tokens)
        {
            int length = maxWindows is int m ? Math.Min(tokens.Numel, (m * contextLength) + 1) : tokens.Numel;
            using Tensor kept = tokens.Narrow(0, 0, length);
            return TensorDataset.LanguageModelWindows(kept, contextLength);
        }
    }
}
