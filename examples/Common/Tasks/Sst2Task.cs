using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// Sentiment classification on SST-2 (GLUE; Socher et al. 2013), the paper's text task: the 67,349
/// training phrases train, the 872 dev sentences evaluate (GLUE's test labels are not public). The data has
/// no licence, so it is never committed: it is read from a folder holding <c>train.tsv</c> and <c>dev.tsv</c>
/// (by default <c>../shared/data/sst-2</c> next to the repository). Sentences are cut or padded to
/// <see cref="MaxLength"/> tokens; the vocabulary is every training token (unseen dev words are
/// <c>&lt;unk&gt;</c>).
/// </summary>
public sealed class Sst2Task : TrainingTask
{
    /// <summary>Tokens per sentence (the longest dev sentence has 47; training phrases average 9).</summary>
    public const int MaxLength = 48;

    private readonly TensorDataset _train;
    private readonly TensorDataset _evaluation;
    private readonly int _vocabularySize;

    /// <summary>Reads <c>train.tsv</c> and <c>dev.tsv</c> from <paramref name="directory"/>.</summary>
    public Sst2Task(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        List<LabelledSentence> train = GlueTsv.ReadSentenceLabel(Path.Combine(directory, "train.tsv"));
        List<LabelledSentence> dev = GlueTsv.ReadSentenceLabel(Path.Combine(directory, "dev.tsv"));
        WordVocabulary vocabulary = GlueTsv.BuildVocabulary(train);
        _vocabularySize = vocabulary.Count;
        _train = GlueTsv.Encode(train, vocabulary, MaxLength);
        _evaluation = GlueTsv.Encode(dev, vocabulary, MaxLength);
    }

    /// <inheritdoc/>
    public override string Name => "sst2";

    /// <inheritdoc/>
    public override string Description =>
        $"SST-2 (GLUE): {_train.Count} training phrases, {_evaluation.Count} dev sentences for evaluation, at most {MaxLength} tokens, " +
        $"vocabulary {_vocabularySize}. Model: transformer encoder, 2 pre-norm layers, d 64, 4 heads, feed-forward 128, dropout 0.1, " +
        $"mean pooling over real tokens, {ParameterCount()} parameters, cross-entropy.";

    /// <inheritdoc/>
    public override TaskMetric Metric => TaskMetric.Accuracy;

    /// <inheritdoc/>
    public override int ClassCount => 2;

    /// <inheritdoc/>
    public override TensorDataset Train => _train;

    /// <inheritdoc/>
    public override TensorDataset Evaluation => _evaluation;

    /// <inheritdoc/>
    public override TaskDefaults Defaults { get; } = new()
    {
        Steps = 400,
        BatchSize = 64,
        LearningRate = 1e-3,
        WeightDecay = 0.01,
        Threshold = 0.78,
        EvalBatchSize = 218,
    };

    /// <inheritdoc/>
    public override Module BuildModel(ulong seed) =>
        new SentenceClassifier(_vocabularySize, MaxLength, dModel: 64, heads: 4, layers: 2, feedForward: 128, classes: 2, dropout: 0.1, new Generator(seed));

    /// <inheritdoc/>
    public override Variable Forward(Module model, Batch batch) =>
        ((SentenceClassifier)model).Forward(batch.Inputs, batch.PaddingMask ?? throw new ArgumentException("sst2: the batch has no padding mask", nameof(batch)));
}
