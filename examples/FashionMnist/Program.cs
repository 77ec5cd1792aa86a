// Fashion-MNIST: trains a small CNN (or ResNet-18) with SPAMP and with the baselines, each method from the
// same initial weights and the same data order, and prints a comparison table.
//
//   dotnet run -c Release --project examples/FashionMnist              # SPAMP vs fixed clipping, ~5 minutes on 2 cores
//   dotnet run -c Release --project examples/FashionMnist -- --help    # every option
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

// Fashion-MNIST's pixel mean and standard deviation over the training set.
using TrainTestSplit data = FashionMnist.LoadTrainTest(options.DataDirectory, options.Seed, mean: 0.2860f, std: 0.3530f);
Console.WriteLine(data.Description);
var trainerOptions = new TrainerOptions
{
    Epochs = options.Epochs,
    MaxSteps = options.Steps,
    BatchSize = options.BatchSize,
    Seed = options.Seed,
    EvalEvery = options.EvalEvery,
};
long totalSteps = trainerOptions.TotalSteps(data.Train.Count);
Console.WriteLine($"model {options.Model}, {totalSteps} steps of {options.BatchSize} ({(double)totalSteps * options.BatchSize / data.Train.Count:F1} epochs), " +
    $"AdamW lr {options.LearningRate} wd {options.WeightDecay}, cosine decay, seed {options.Seed}");
Console.WriteLine();

var comparison = new MethodComparison();
using var lossFunction = new CrossEntropyLoss();
foreach (string method in options.Methods)
{
    // The same seed gives every method the same initial weights; the trainer's seed the same data order.
    using Module model = BuildModel(options.Model, options.Seed);
    Optimizer optimizer = MethodFactory.Create(method, model.Parameters(), options.LearningRate, options.WeightDecay, totalSteps);
    var trainer = new Trainer(model, optimizer, (logits, labels) => lossFunction.Forward(logits, labels), trainerOptions with
    {
        Name = method,
        TelemetryPath = options.TelemetryPathFor(method),
    });
    TrainingResult result = trainer.Fit(data.Train, data.Test);
    comparison.Add(method, result);
    Console.WriteLine($"{method}: test accuracy {result.Final.Metric:P2} after {result.Steps} steps, {result.WallTime.TotalSeconds:F0} s");
}

Console.WriteLine();
comparison.WriteTable(Console.Out,
    new ResultColumn("test acc", r => r.Final.Metric.ToString("P2", CultureInfo.InvariantCulture)),
    new ResultColumn("test loss", r => r.Final.Loss.ToString("F4", CultureInfo.InvariantCulture)));
if (options.PlotPath is not null)
{
    comparison.SaveLossPlot(options.PlotPath, $"Fashion-MNIST {options.Model}: training loss");
    Console.WriteLine($"loss curves written to {options.PlotPath}");
}

return 0;

static Module BuildModel(string name, ulong seed)
{
    var generator = new Generator(seed);
    return name switch
    {
        // 28x28 -> conv -> 28x28x32 -> pool -> 14x14x32 -> conv -> 14x14x64 -> pool -> 7x7x64 = 3136 features.
        "cnn" => new Sequential(
            new Conv2d(1, 32, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(3136, 128, generator: generator), new ReLU(), new Linear(128, 10, generator: generator)),
        "resnet18" => ResNet.ResNet18(10, ResNetStem.FashionMnist, generator: generator),
        _ => throw new ArgumentException($"unknown model '{name}'"),
    };
}

/// <summary>The command line: the shared options plus the model, the epochs and the data directory.</summary>
internal sealed record Options : ExampleOptions
{
    public string Model { get; init; } = "cnn";

    public int Epochs { get; init; } = 8;

    // The repository's copy of the t10k split.
    public string DataDirectory { get; init; } = RepositoryPath("examples", "data", "fashion-mnist");

    public override string Usage() => $"""
        Fashion-MNIST: SPAMP against the clipping baselines, same initial weights and data order for every method.

        usage: dotnet run -c Release --project examples/FashionMnist -- [options]

          --model cnn|resnet18     model (default {Model}: conv32-pool-conv64-pool-fc128-fc10)
          --epochs <n>             passes over the training set (default {Epochs})
          --data <dir>             directory with t10k-*-ubyte[.gz] (default examples/data/fashion-mnist);
                                   the full 60k training split in /usr/share/datasets/fashion-mnist is used when installed
        {CommonUsage("a step budget instead of epochs")}
        """;

    protected override ExampleOptions? ParseOption(string name, Func<string> value) => name switch
    {
        "--model" => this with { Model = ModelName(value()) },
        "--epochs" => this with { Epochs = PositiveInt(name, value()) },
        "--data" => this with { DataDirectory = value() },
        _ => null,
    };

    private static string ModelName(string text) =>
        text is "cnn" or "resnet18" ? text : throw new ArgumentException($"--model: unknown model '{text}' (cnn or resnet18)");
}
