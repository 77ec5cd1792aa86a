using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// Word-level language modelling on WikiText-2 (the analogue of the paper's WikiText-103 GPT). The train
/// split is not available here (see shared/data/README.md), so, as its option (a) says, the model trains on
/// <c>valid.txt</c> and evaluates on <c>test.txt</c>; the vocabulary is valid.txt's, and test words it
/// lacks become <c>&lt;unk&gt;</c>. Evaluation uses the first <see cref="EvaluationWindows"/> windows of test.txt.
/// </summary>
public sealed class WikiTextTask : LanguageModelTask
{
    /// <summary>Test windows evaluated.</summary>
    public const int EvaluationWindows = 256;

    private readonly TensorDataset _train;
    private readonly TensorDataset _evaluation;

    /// <summary>Reads <c>valid.txt</c> and <c>test.txt</c> from <paramref name="directory"/>.</summary>
    public WikiTextTask(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        List<string> train = WikiText.ReadTokens(Path.Combine(directory, "valid.txt"));
        List<string> test = WikiText.ReadTokens(Path.Combine(directory, "test.txt"));
        WordVocabulary vocabulary = WikiText.BuildVocabulary(train);
        Config = new GptConfig { VocabSize = vocabulary.Count, BlockSize = 64, NLayer = 2, NHead = 4, NEmbd = 128, Dropout = 0 };
        _train = Windows(vocabulary.EncodeToTensor(train), Config.BlockSize);
        _evaluation = Windows(vocabulary.EncodeToTensor(test), Config.BlockSize, EvaluationWindows);
    }

    /// <inheritdoc/>
    public override string Name => "wikitext";

    /// <inheritdoc/>
    public override GptConfig Config { get; }

    /// <inheritdoc/>
    public override string Description =>
        $"WikiText-2, words: trains on valid.txt ({_train.Count} windows of {Config.BlockSize}; no train split is available), " +
        $"evaluates on the first {_evaluation.Count} windows of test.txt (words unseen in valid.txt are <unk>). Model: {ModelDescription}.";

    /// <inheritdoc/>
    public override TensorDataset Train => _train;

    /// <inheritdoc/>
    public override TensorDataset Evaluation => _evaluation;

    /// <inheritdoc/>
    public override TaskDefaults Defaults { get; } = new()
    {
        Steps = 400,
        BatchSize = 16,
        LearningRate = 2e-3,
        WeightDecay = 0.01,
        Threshold = 450,
        EvalBatchSize = 32,
    };
}
