// SST-2 sentiment with a small transformer encoder (embedding + positions, pre-norm encoder layers, mean
// pooling, linear), trained on GLUE's SST-2 train split and evaluated on its dev split. SST-2 has no licence,
// so Spamp does not ship it: the files are read from the directory given with --data.
//
//   dotnet run -c Release --project examples/Sst2 -- --data <dir with train.tsv and dev.tsv>
//   dotnet run -c Release --project examples/Sst2 -- --help
using System.Globalization;
using Spamp;
using Spamp.Data;
using Spamp.Examples;
using Spamp.Examples.Sst2;
using Spamp.Layers;
using Spamp.Optim;

if (ExampleOptions.ParseOrExit<Options>(args, out int exitCode) is not { } options)
{
    return exitCode;
}

string trainPath = Path.Combine(options.DataDirectory, "train.tsv");
string devPath = Path.Combine(options.DataDirectory, "dev.tsv");
foreach (string path in new[] { trainPath, devPath })
{
    if (!File.Exists(path))
    {
        Console.Error.WriteLine($"error: {path} does not exist. SST-2 has no licence, so Spamp does not ship it: " +
            "pass --data <dir> with GLUE's SST-2 train.tsv and dev.tsv (sentence<TAB>label).");
        return ExampleOptions.DataMissingExitCode;
    }
}

List<LabelledSentence> trainSentences, devSentences;
try
{
    trainSentences = GlueTsv.ReadSentenceLabel(trainPath);
    devSentences = GlueTsv.ReadSentenceLabel(devPath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or DataFormatException)
{
    Console.Error.WriteLine($"error: cannot read SST-2 from {options.DataDirectory}: {e.Message}");
    return ExampleOptions.DataMissingExitCode;
}

WordVocabulary vocabulary = GlueTsv.BuildVocabulary(trainSentences, options.MinCount);
using TensorDataset train = GlueTsv.Encode(trainSentences, vocabulary, options.MaxLength);
using TensorDataset dev = GlueTsv.Encode(devSentences, vocabulary, options.MaxLength);
int truncated = 0;
foreach (LabelledSentence sentence in devSentences)
{
    truncated += sentence.Tokens.Count > options.MaxLength ? 1 : 0;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"SST-2 from {options.DataDirectory}: {train.Count:N0} training and {dev.Count:N0} dev sentences, vocabulary {vocabulary.Count:N0} " +
    $"({(options.MinCount == 1 ? "every training token" : $"the training tokens seen at least {options.MinCount} times")}, <pad> and <unk>), padded or cut to {options.MaxLength} tokens " +
    $"({truncated} dev sentences cut)."));

var trainerOptions = new TrainerOptions
{
    MaxSteps = options.Steps,
    BatchSize = options.BatchSize,
    Seed = options.Seed,
    EvalEvery = options.EvalEvery,
};
long totalSteps = trainerOptions.TotalSteps(train.Count);
int padId = vocabulary.Id(GlueTsv.PadToken);
SentenceClassifier Build() => new(vocabulary.Count, padId, options.MaxLength, options.ModelWidth, options.Heads, options.Layers, options.Dropout,
    classes: 2, new Generator(options.Seed));
using (SentenceClassifier probe = Build())
{
    long parameters = 0;
    foreach (Parameter p in probe.Parameters())
    {
        parameters += p.Numel;
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"model: transformer encoder, {options.Layers} pre-norm layers, d_model {options.ModelWidth}, {options.Heads} heads, feed-forward {4 * options.ModelWidth}, " +
        $"dropout {options.Dropout}, mean pooling, {parameters:N0} parameters"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"training: {totalSteps} steps of {options.BatchSize} sentences ({(double)totalSteps * options.BatchSize / train.Count:F1} epochs), " +
    $"AdamW lr {options.LearningRate} wd {options.WeightDecay}, cosine decay, seed {options.Seed}; methods {string.Join(", ", options.Methods)}"));
Console.WriteLine();

var comparison = new MethodComparison();
using var crossEntropy = new CrossEntropyLoss();
foreach (string method in options.Methods)
{
    // The same seed gives every method the same initial weights; the trainer's seed the same data order.
    using SentenceClassifier model = Build();
    Optimizer optimizer = MethodFactory.Create(method, model.Parameters(), options.LearningRate, options.WeightDecay, totalSteps);
    var trainer = new Trainer(model, optimizer, (logits, labels) => crossEntropy.Forward(logits, labels),
        trainerOptions with { Name = method, TelemetryPath = options.TelemetryPathFor(method) });
    TrainingResult result = trainer.Fit(train, dev);
    comparison.Add(method, result);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{method}: dev accuracy {result.Final.Metric:P2} (loss {result.Final.Loss:F4}) after {result.Steps} steps, {result.WallTime.TotalSeconds:F0} s"));
}

Console.WriteLine();
comparison.WriteTable(Console.Out,
    new ResultColumn("dev acc", r => r.Final.Metric.ToString("P2", CultureInfo.InvariantCulture)),
    new ResultColumn("dev loss", r => r.Final.Loss.ToString("F4", CultureInfo.InvariantCulture)));
Console.WriteLine("dev: GLUE's SST-2 dev split (872 sentences), never trained on.");
if (options.PlotPath is not null)
{
    comparison.SaveLossPlot(options.PlotPath, "SST-2 transformer encoder: training loss");
    Console.WriteLine($"loss curves written to {options.PlotPath}");
}

return 0;

/// <summary>The command line: the shared options plus the model's shape, the sentence length and the data directory.</summary>
internal sealed record Options : ExampleOptions
{
    public Options()
    {
        Methods = ["spamp"];
        Steps = 1000;
        BatchSize = 64;
        LearningRate = 5e-3;
    }

    public int Layers { get; init; } = 2;

    public int Heads { get; init; } = 4;

    public int ModelWidth { get; init; } = 128;

    public int MaxLength { get; init; } = 48;

    public double Dropout { get; init; } = 0.1;

    public int MinCount { get; init; } = 1;

    // SST-2 is not in the repository (no licence); this is where the workspace keeps a copy.
    public string DataDirectory { get; init; } = RepositoryPath("..", "shared", "data", "sst-2");

    public override string Usage() => string.Create(CultureInfo.InvariantCulture, $"""
        SST-2 sentiment (GLUE): a small transformer encoder trained on train.tsv, accuracy reported on dev.tsv.
        SST-2 has no licence, so it is not in the repository: point --data at a copy.

        usage: dotnet run -c Release --project examples/Sst2 -- [options]

          --data <dir>             directory with GLUE's SST-2 train.tsv and dev.tsv
                                   (default ../shared/data/sst-2 next to the repository)
          --layers <n>             encoder layers (default {Layers})
          --heads <n>              attention heads; must divide --d-model (default {Heads})
          --d-model <n>            model width; the feed-forward layer is 4x as wide (default {ModelWidth})
          --max-length <n>         tokens per sentence: longer ones are cut, shorter padded (default {MaxLength})
          --dropout <p>            dropout probability while training (default {Dropout})
          --min-count <n>          training tokens seen fewer times become <unk> (default {MinCount})
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
        "--max-length" => this with { MaxLength = PositiveInt(name, value()) },
        "--dropout" => this with { Dropout = Probability(name, value()) },
        "--min-count" => this with { MinCount = PositiveInt(name, value()) },
        "--data" => this with { DataDirectory = value() },
        _ => null,
    };
}
