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

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    // ArgumentException appends "(Parameter 'x')", which means nothing to someone typing options.
    Console.Error.WriteLine($"error: {(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal))}");
    Console.Error.WriteLine("run with --help for the options");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(Options.HelpText);
    return 0;
}

if (options.Device != DeviceKind.Cpu)
{
    // The CUDA and OpenCL backends are still being written; say why instead of failing inside a kernel.
    string reason = Device.IsAvailable(options.Device, out string why) ? "this example runs on the CPU only for now" : why;
    Console.Error.WriteLine($"error: device {options.Device.ToString().ToLowerInvariant()} is not available: {reason}");
    return 3;
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

var results = new List<(string Method, TrainingResult Result)>();
using var lossFunction = new CrossEntropyLoss();
foreach (string method in options.Methods)
{
    // The same seed gives every method the same initial weights; the trainer's seed the same data order.
    using Module model = BuildModel(options.Model, options.Seed);
    Optimizer optimizer = MethodFactory.Create(method, model.Parameters(), options.LearningRate, options.WeightDecay, totalSteps);
    var trainer = new Trainer(model, optimizer, (logits, labels) => lossFunction.Forward(logits, labels), trainerOptions with
    {
        Name = method,
        TelemetryPath = TelemetryPathFor(options.TelemetryPath, method, options.Methods.Count),
    });
    TrainingResult result = trainer.Fit(data.Train, data.Test);
    results.Add((method, result));
    Console.WriteLine($"{method}: test accuracy {result.Final.Metric:P2} after {result.Steps} steps, {result.WallTime.TotalSeconds:F0} s");
}

Console.WriteLine();
Console.WriteLine($"{"method",-12} {"test acc",9} {"test loss",10} {"train loss",11} {"mean lr*|u|",12} {"max lr*|u|",11} {"samples/s",10} {"wall",7}");
Console.WriteLine(new string('-', 89));
foreach (var (method, r) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{method,-12} {r.Final.Metric,9:P2} {r.Final.Loss,10:F4} {r.FinalTrainLoss,11:F4} {r.MeanUpdateMagnitude,12:E3} {r.MaxUpdateMagnitude,11:E3} {r.SamplesPerSecond,10:F0} {r.WallTime.TotalSeconds,6:F0}s"));
}

Console.WriteLine();
Console.WriteLine("lr*|u|: per-layer update magnitude from the optimizer telemetry (learning rate times the norm of the shaped update), over all steps and layers.");
if (options.PlotPath is not null)
{
    // Training loss per step, averaged over windows of 20 steps so the curves can be told apart.
    const int Window = 20;
    var series = results.Select(r => new Series(r.Method,
        [.. Enumerable.Range(0, r.Result.Losses.Count / Window).Select(i => (double)((i + 1) * Window))],
        [.. r.Result.Losses.Chunk(Window).Where(c => c.Length == Window).Select(c => c.Average())])).ToList();
    SvgPlot.Save(options.PlotPath, SvgPlot.LineChart(series, $"Fashion-MNIST {options.Model}: training loss", "step", "loss (mean of 20 steps)", logY: true));
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

// With several methods, each gets its own telemetry file: run.csv -> run.spamp.csv, run.clip.csv.
static string? TelemetryPathFor(string? path, string method, int methodCount) =>
    path is null || methodCount == 1 ? path
        : Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}.{method}{Path.GetExtension(path)}");

/// <summary>The command line, parsed by hand: a handful of options, each with a default that makes the main job.</summary>
internal sealed record Options
{
    public const string HelpText = """
        Fashion-MNIST: SPAMP against the clipping baselines, same initial weights and data order for every method.

        usage: dotnet run -c Release --project examples/FashionMnist -- [options]

          --model cnn|resnet18     model (default cnn: conv32-pool-conv64-pool-fc128-fc10)
          --method <names>         one or several methods, comma-separated, or "compare" (= spamp,clip; the default).
                                   valid: spamp, clip, warmup-clip, gradnorm, zclip, spam, stable-spam, adagc,
                                   stabilizer, shrink, none (see examples/Common/MethodFactory.cs)
          --epochs <n>             passes over the training set (default 8)
          --steps <n>              a step budget instead of epochs
          --batch-size <n>         examples per step (default 64)
          --lr <x>                 AdamW peak learning rate, cosine-decayed to 0 (default 0.002)
          --weight-decay <x>       AdamW decoupled weight decay (default 0.0001)
          --seed <n>               initial weights, train/test split and data order (default 0)
          --eval-every <n>         also evaluate every n steps (default: only at the end)
          --device cpu|cuda|opencl where to train (default cpu; GPU backends are not available yet)
          --data <dir>             directory with t10k-*-ubyte[.gz] (default examples/data/fashion-mnist);
                                   the full 60k training split in /usr/share/datasets/fashion-mnist is used when installed
          --telemetry <file>       write the optimizer's per-layer telemetry (.csv, else JSON lines); one file per method
          --plot <file.svg>        write the training-loss curves as an SVG line chart
          -h, --help               this text
        """;

    public bool Help { get; init; }

    public string Model { get; init; } = "cnn";

    public IReadOnlyList<string> Methods { get; init; } = ["spamp", "clip"];

    public int Epochs { get; init; } = 8;

    public long? Steps { get; init; }

    public int BatchSize { get; init; } = 64;

    public double LearningRate { get; init; } = 2e-3;

    public double WeightDecay { get; init; } = 1e-4;

    public ulong Seed { get; init; }

    public long EvalEvery { get; init; }

    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    public string DataDirectory { get; init; } = DefaultDataDirectory();

    public string? TelemetryPath { get; init; }

    public string? PlotPath { get; init; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            o = name switch
            {
                "-h" or "--help" => o with { Help = true },
                "--model" => o with { Model = Value() is "cnn" or "resnet18" ? args[i] : throw new ArgumentException($"--model: unknown model '{args[i]}' (cnn or resnet18)") },
                "--method" or "--methods" => o with { Methods = MethodFactory.ParseList(Value()) },
                "--epochs" => o with { Epochs = Positive(name, Value()) },
                "--steps" => o with { Steps = Positive(name, Value()) },
                "--batch-size" => o with { BatchSize = Positive(name, Value()) },
                "--lr" => o with { LearningRate = Number(name, Value()) },
                "--weight-decay" => o with { WeightDecay = Number(name, Value()) },
                "--seed" => o with { Seed = ulong.TryParse(Value(), CultureInfo.InvariantCulture, out ulong s) ? s : throw new ArgumentException($"--seed: '{args[i]}' is not a non-negative integer") },
                "--eval-every" => o with { EvalEvery = Positive(name, Value()) },
                "--device" => o with
                {
                    Device = Value().ToLowerInvariant() switch
                    {
                        "cpu" => DeviceKind.Cpu,
                        "cuda" => DeviceKind.Cuda,
                        "opencl" => DeviceKind.OpenCl,
                        _ => throw new ArgumentException($"--device: unknown device '{args[i]}' (cpu, cuda or opencl)"),
                    },
                },
                "--data" => o with { DataDirectory = Value() },
                "--telemetry" => o with { TelemetryPath = Value() },
                "--plot" => o with { PlotPath = Value() },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }

        return o;
    }

    private static int Positive(string name, string text) =>
        int.TryParse(text, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{name}: '{text}' is not a positive integer");

    private static double Number(string name, string text) =>
        double.TryParse(text, CultureInfo.InvariantCulture, out double v) && v >= 0 ? v : throw new ArgumentException($"{name}: '{text}' is not a non-negative number");

    // The repository's copy of the t10k split, found from the build output or the working directory.
    private static string DefaultDataDirectory()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "examples", "data", "fashion-mnist");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine("examples", "data", "fashion-mnist");
    }
}
