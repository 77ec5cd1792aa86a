// Word-level GPT on WikiText-2. Only the validation and test splits are in the repository (the training
// split could not be obtained), so this trains on valid.txt and reports perplexity on test.txt; words of
// test.txt that valid.txt never has become <unk>. The numbers are therefore not comparable with published
// WikiText-2 results, but every method sees exactly the same setup.
//
//   dotnet run -c Release --project examples/WikiText              # SPAMP, about 2-3 minutes on 2 cores
//   dotnet run -c Release --project examples/WikiText -- --help    # every option
using System.Globalization;
using Spamp;
using Spamp.Data;
using Spamp.Examples;
using Spamp.Layers;
using Spamp.Optim;

if (ExampleOptions.ParseOrExit<Options>(args, out int exitCode) is not { } options)
{
    return exitCode;
}

string trainPath = Path.Combine(options.DataDirectory, "valid.txt");
string testPath = Path.Combine(options.DataDirectory, "test.txt");
List<string> trainWords, testWords;
try
{
    trainWords = WikiText.ReadTokens(trainPath);
    testWords = WikiText.ReadTokens(testPath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or DataFormatException)
{
    Console.Error.WriteLine($"error: cannot read WikiText-2 from {options.DataDirectory} (valid.txt and test.txt): {e.Message}");
    return ExampleOptions.DataMissingExitCode;
}

WordVocabulary vocabulary = WordVocabulary.Build(trainWords, [WikiText.Unknown, WikiText.EndOfSentence], WikiText.Unknown, options.MinCount);
int unseen = 0;
foreach (string word in testWords)
{
    unseen += vocabulary.Contains(word) ? 0 : 1;
}

using Tensor trainTokens = vocabulary.EncodeToTensor(trainWords);
using Tensor testTokens = vocabulary.EncodeToTensor(testWords);
using LanguageModelData data = LanguageModelData.FromStreams(trainTokens, testTokens, options.Context);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"WikiText-2 has no training split here: training on valid.txt ({data.TrainTokens:N0} tokens, {data.Train.Count:N0} windows of {options.Context}), " +
    $"evaluating on test.txt ({data.EvaluationTokens:N0} tokens, {data.Evaluation.Count:N0} windows)."));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"vocabulary: {vocabulary.Count:N0} words ({(options.MinCount == 1 ? "every word of valid.txt" : $"the words valid.txt has at least {options.MinCount} times")}, <unk> and <eos>); " +
    $"{(double)unseen / testWords.Count:P1} of test.txt becomes <unk> (not comparable with published WikiText-2 perplexities)."));

var config = new GptConfig
{
    BlockSize = options.Context,
    VocabSize = vocabulary.Count,
    NLayer = options.Layers,
    NHead = options.Heads,
    NEmbd = options.ModelWidth,
    Dropout = options.Dropout,
};
var trainerOptions = new TrainerOptions
{
    MaxSteps = options.Steps,
    BatchSize = options.BatchSize,

    // Logits of a window are T x |V| floats (64 x 13,778 = 3.5 MB), so evaluation batches stay small.
    EvalBatchSize = 32,
    Seed = options.Seed,
    EvalEvery = options.EvalEvery,
};
long totalSteps = trainerOptions.TotalSteps(data.Train.Count);

// The same seed gives every method the same initial weights.
Gpt BuildModel() => new(config, new Generator(options.Seed));
using (Gpt probe = BuildModel())
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"model: GPT, {config.NLayer} layers, d_model {config.NEmbd}, {config.NHead} heads, context {config.BlockSize}, dropout {config.Dropout}, " +
        $"tied embedding and head, {probe.NumParameters():N0} parameters"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"training: {totalSteps} steps of {options.BatchSize} windows ({(double)totalSteps * options.BatchSize / data.Train.Count:F1} epochs), " +
    $"AdamW lr {options.LearningRate} wd {options.WeightDecay}, cosine decay, seed {options.Seed}; methods {string.Join(", ", options.Methods)}"));
Console.WriteLine();

var comparison = new MethodComparison();
foreach (string method in options.Methods)
{
    // The trainer's seed gives every method the same window order.
    using Gpt model = BuildModel();
    Optimizer optimizer = MethodFactory.Create(method, model.Parameters(), options.LearningRate, options.WeightDecay, totalSteps);
    var trainer = new Trainer(model, optimizer, (logits, targets) => LanguageModelData.NextTokenLoss(logits, targets),
        trainerOptions with { Name = method, TelemetryPath = options.TelemetryPathFor(method) }, new TokenAccuracy());
    TrainingResult result = trainer.Fit(data.Train, data.Evaluation);
    comparison.Add(method, result);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{method}: test perplexity {Perplexity.FromCrossEntropy(result.Final.Loss):F1} (loss {result.Final.Loss:F4}), " +
        $"next-word accuracy {result.Final.Metric:P1} after {result.Steps} steps, {result.WallTime.TotalSeconds:F0} s"));
}

Console.WriteLine();
comparison.WriteTable(Console.Out,
    new ResultColumn("test ppl", r => Perplexity.FromCrossEntropy(r.Final.Loss).ToString("F1", CultureInfo.InvariantCulture)),
    new ResultColumn("test loss", r => r.Final.Loss.ToString("F4", CultureInfo.InvariantCulture)),
    new ResultColumn("test acc", r => r.Final.Metric.ToString("P1", CultureInfo.InvariantCulture)));
Console.WriteLine("test: test.txt, never trained on; ppl = exp(test loss), per word (<eos> included). The training split is valid.txt.");
if (options.PlotPath is not null)
{
    comparison.SaveLossPlot(options.PlotPath, "WikiText-2 word GPT (trained on valid.txt): training loss");
    Console.WriteLine($"loss curves written to {options.PlotPath}");
}

return 0;

/// <summary>The command line: the shared options plus the model's shape, the vocabulary cut-off and the data directory.</summary>
internal sealed record Options : ExampleOptions
{
    public Options()
    {
        Methods = ["spamp"];
        Steps = 500;
        BatchSize = 16;
        LearningRate = 1e-3;
    }

    public int Layers { get; init; } = 2;

    public int Heads { get; init; } = 4;

    public int ModelWidth { get; init; } = 128;

    public int Context { get; init; } = 64;

    public double Dropout { get; init; } = 0.1;

    public int MinCount { get; init; } = 1;

    public string DataDirectory { get; init; } = RepositoryPath("examples", "data", "wikitext-2");

    public override string Usage() => string.Create(CultureInfo.InvariantCulture, $"""
        Word-level GPT on WikiText-2. The training split is not in the repository, so this TRAINS ON valid.txt and
        reports perplexity on test.txt (test words valid.txt never has become <unk>): the numbers are not comparable
        with published WikiText-2 results, only between methods.

        usage: dotnet run -c Release --project examples/WikiText -- [options]

          --layers <n>             transformer blocks (default {Layers})
          --heads <n>              attention heads; must divide --d-model (default {Heads})
          --d-model <n>            model width (default {ModelWidth})
          --context <n>            words per training window, the model's block size (default {Context})
          --dropout <p>            dropout probability while training (default {Dropout})
          --min-count <n>          words seen fewer times in valid.txt become <unk> (default {MinCount})
          --data <dir>             directory with valid.txt and test.txt (default examples/data/wikitext-2)
        {CommonUsage($"optimizer steps (default {Steps})")}
        """);

    public override void Validate()
    {
        if (ModelWidth % Heads != 0)
        {
            throw new ArgumentException($"--heads {Heads} does not divide --d-model {ModelWidth}");
        }
    }

    protected override ExampleOptions? ParseOption(string name, Func<string> value) => name switch
    {
        "--layers" => this with { Layers = PositiveInt(name, value()) },
        "--heads" => this with { Heads = PositiveInt(name, value()) },
        "--d-model" => this with { ModelWidth = PositiveInt(name, value()) },
        "--context" => this with { Context = PositiveInt(name, value()) },
        "--dropout" => this with { Dropout = Probability(name, value()) },
        "--min-count" => this with { MinCount = PositiveInt(name, value()) },
        "--data" => this with { DataDirectory = value() },
        _ => null,
    };
}
