using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// Character-level language modelling on tiny-shakespeare (the small-scale analogue of the paper's GPT
/// on WikiText-103): the first 90% of the characters train, the last 10% evaluate (nanoGPT's cut); the
/// vocabulary is the 65 distinct characters. To keep evaluation cheap, it uses the first
/// <see cref="EvaluationWindows"/> windows of the held-out text.
/// </summary>
public sealed class ShakespeareTask : LanguageModelTask
{
    /// <summary>Held-out windows evaluated (of the 1,742 that the last 10% holds at context 64).</summary>
    public const int EvaluationWindows = 512;

    private readonly TensorDataset _train;
    private readonly TensorDataset _evaluation;

    /// <summary>Reads <c>input.txt</c> from <paramref name="directory"/>.</summary>
    public ShakespeareTask(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string text = TextCorpus.ReadText(Path.Combine(directory, "input.txt"));
        var vocabulary = CharVocabulary.Build(text);
        (string train, string held) = TextCorpus.SplitByFraction(text);
        Config = new GptConfig { VocabSize = vocabulary.Count, BlockSize = 64, NLayer = 2, NHead = 4, NEmbd = 128, Dropout = 0 };
        _train = Windows(vocabulary.EncodeToTensor(train), Config.BlockSize);
        _evaluation = Windows(vocabulary.EncodeToTensor(held), Config.BlockSize, EvaluationWindows);
    }

    /// <inheritdoc/>
    public override string Name => "shakespeare";

    /// <inheritdoc/>
    public override GptConfig Config { get; }

    /// <inheritdoc/>
    public override string Description =>
        $"tiny-shakespeare, characters: first 90% for training ({_train.Count} windows of {Config.BlockSize}), " +
        $"the first {_evaluation.Count} windows of the last 10% for evaluation. Model: {ModelDescription}.";

    /// <inheritdoc/>
    public override TensorDataset Train => _train;

    /// <inheritdoc/>
    public override TensorDataset Evaluation => _evaluation;

    /// <inheritdoc/>
    public override TaskDefaults Defaults { get; } = new()
    {
        Steps = 400,
        BatchSize = 32,
        LearningRate = 3e-3,
        WeightDecay = 0.01,
        Threshold = 15.0,
        EvalBatchSize = 64,
    };
}
