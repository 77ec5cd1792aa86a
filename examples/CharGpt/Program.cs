// Character-level GPT on tiny-shakespeare: a nanoGPT-style decoder trained on the first 90% of the text,
// evaluated on the last 10% (loss, perplexity, next-character accuracy), then sampled from. With several
// methods each starts from the same initial weights and sees the same windows in the same order.
//
//   dotnet run -c Release --project examples/CharGpt              # SPAMP, about 2-3 minutes on 2 cores
//   dotnet run -c Release --project examples/CharGpt -- --help    # every option
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

string text;
try
{
    text = TextCorpus.ReadText(options.DataPath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or DataFormatException)
{
    Console.Error.WriteLine($"error: cannot read the text {options.DataPath}: {e.Message}");
    return ExampleOptions.DataMissingExitCode;
}

// nanoGPT's vocabulary: every character of the whole text, so the validation part has no unknown characters.
CharVocabulary vocabulary = CharVocabulary.Build(text);
int[] prompt;
try
{
    prompt = vocabulary.Encode(options.Prompt);
}
catch (ArgumentException)
{
    Console.Error.WriteLine($"error: --prompt \"{options.Prompt}\" has characters that never occur in {options.DataPath}");
    return ExampleOptions.BadArgumentsExitCode;
}

using Tensor tokens = vocabulary.EncodeToTensor(text);
using LanguageModelData data = LanguageModelData.Split(tokens, options.Context);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{Path.GetFileName(options.DataPath)}: {text.Length:N0} characters, {vocabulary.Count} distinct. Training on the first 90% " +
    $"({data.TrainTokens:N0} characters, {data.Train.Count:N0} windows of {options.Context}), validating on the last 10% " +
    $"({data.EvaluationTokens:N0} characters, {data.Evaluation.Count:N0} windows)."));

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
    EvalBatchSize = 64,
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
        $"{probe.NumParameters():N0} parameters"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"training: {totalSteps} steps of {options.BatchSize} windows ({(double)totalSteps * options.BatchSize / data.Train.Count:F1} epochs), " +
    $"AdamW lr {options.LearningRate} wd {options.WeightDecay}, cosine decay, seed {options.Seed}; methods {string.Join(", ", options.Methods)}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"sampling: {options.SampleLength} characters after \"{options.Prompt}\", temperature {options.Temperature}, top-k {options.TopK}, seed {options.Seed}"));
Console.WriteLine();

var comparison = new MethodComparison();
var samples = new List<(string Method, string Text)>();
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
        $"{method}: validation loss {result.Final.Loss:F4}, perplexity {Perplexity.FromCrossEntropy(result.Final.Loss):F2}, " +
        $"next-character accuracy {result.Final.Metric:P1} after {result.Steps} steps, {result.WallTime.TotalSeconds:F0} s"));

    // Every method's sample uses the same seed, so differences come from the models alone.
    int[] generated = GptSampler.Generate(model, prompt, options.SampleLength, options.Temperature, options.TopK, new Generator(options.Seed));
    samples.Add((method, options.Prompt + vocabulary.Decode(generated)));
}

Console.WriteLine();
comparison.WriteTable(Console.Out,
    new ResultColumn("val loss", r => r.Final.Loss.ToString("F4", CultureInfo.InvariantCulture)),
    new ResultColumn("val ppl", r => Perplexity.FromCrossEntropy(r.Final.Loss).ToString("F2", CultureInfo.InvariantCulture)),
    new ResultColumn("val acc", r => r.Final.Metric.ToString("P1", CultureInfo.InvariantCulture)));
Console.WriteLine("val: the last 10% of the text, never trained on; ppl = exp(val loss), per character.");
if (options.PlotPath is not null)
{
    comparison.SaveLossPlot(options.PlotPath, "tiny-shakespeare character GPT: training loss");
    Console.WriteLine($"loss curves written to {options.PlotPath}");
}

foreach (var (method, sample) in samples)
{
    Console.WriteLine();
    Console.WriteLine($"---- sample from {method} ----");
    Console.WriteLine(sample);
}

return 0;

/// <summary>The command line: the shared options plus the model's shape, the text and the sampling settings.</summary>
internal sealed record Options : ExampleOptions
{
    public Options()
    {
        Methods = ["spamp"];
        Steps = 1000;
        BatchSize = 32;
        LearningRate = 2e-3;
    }

    public int Layers { get; init; } = 4;

    public int Heads { get; init; } = 4;

    public int ModelWidth { get; init; } = 128;

    public int Context { get; init; } = 64;

    public double Dropout { get; init; }

    public string DataPath { get; init; } = RepositoryPath("examples", "data", "tiny-shakespeare", "input.txt");

    public string Prompt { get; init; } = "ROMEO:";

    public int SampleLength { get; init; } = 500;

    public double Temperature { get; init; } = 0.8;

    public int TopK { get; init; } = 10;

    public override string Usage() => string.Create(CultureInfo.InvariantCulture, $"""
        Character-level GPT on tiny-shakespeare: trains on the first 90% of the text, reports the validation loss,
        perplexity and next-character accuracy on the last 10%, then samples text from each trained model.

        usage: dotnet run -c Release --project examples/CharGpt -- [options]

          --layers <n>             transformer blocks (default {Layers})
          --heads <n>              attention heads; must divide --d-model (default {Heads})
          --d-model <n>            model width (default {ModelWidth})
          --context <n>            characters per training window, the model's block size (default {Context})
          --dropout <p>            dropout probability while training (default {Dropout})
          --data <file>            the text (default examples/data/tiny-shakespeare/input.txt)
          --prompt <text>          the text the samples start from (default "{Prompt}")
          --sample-length <n>      characters to generate per method, 0 for none (default {SampleLength})
          --temperature <x>        sampling temperature, above 0; lower is more conservative (default {Temperature})
          --top-k <n>              sample among the k most likely characters; 0 = all, 1 = greedy (default {TopK})
        {CommonUsage($"optimizer steps (default {Steps})")}

        The samples are drawn with --seed, so a run is reproducible.
        """);

    public override void Validate()
    {
        if (ModelWidth % Heads != 0)
        {
            throw new ArgumentException($"--heads {Heads} does not divide --d-model {ModelWidth}");
        }

        if (Prompt.Length == 0)
        {
            throw new ArgumentException("--prompt: the prompt needs at least one character");
        }
    }

    protected override ExampleOptions? ParseOption(string name, Func<string> value) => name switch
    {
        "--layers" => this with { Layers = PositiveInt(name, value()) },
        "--heads" => this with { Heads = PositiveInt(name, value()) },
        "--d-model" => this with { ModelWidth = PositiveInt(name, value()) },
        "--context" => this with { Context = PositiveInt(name, value()) },
        "--dropout" => this with { Dropout = Probability(name, value()) },
        "--data" => this with { DataPath = value() },
        "--prompt" => this with { Prompt = value() },
        "--sample-length" => this with { SampleLength = NonNegativeInt(name, value()) },
        "--temperature" => this with { Temperature = PositiveNumber(name, value()) },
        "--top-k" => this with { TopK = NonNegativeInt(name, value()) },
        _ => null,
    };
}
