using System.Globalization;
using Spamp.Examples.Reproduction;
using Spamp.Examples.Tasks;

namespace Spamp.Examples.Reproduce;

/// <summary>The command line of the reproduction harness, parsed by hand: each option maps onto <see cref="ReproductionOptions"/>.</summary>
internal sealed record CommandLine
{
    public const string HelpText = """
        Reproduces the SPAMP paper's tables and figures at CPU scale: every method from the same initial weights
        and data order per seed, then a report folder (summary.md, SVG figures, runs.jsonl).

        usage: dotnet run -c Release --project examples/Reproduce -- --task <name> [options]

          --task <name>            fashion-mnist (CNN), shakespeare (char GPT), wikitext (word GPT, trains on valid.txt),
                                   sst2 (transformer encoder; data not committed), uci-digits (tiny MLP, for checks)
          --methods <list>|all     methods of the main runs (default all: spamp, clip, warmup-clip, gradnorm, zclip,
                                   spam, stable-spam, adagc, stabilizer, shrink, none; see examples/Common/MethodFactory.cs)
          --seeds <n>              seeds 0..n-1 (default 3)
          --steps <n>              steps per main run (default: the task's, chosen for ~30 minutes with --studies all)
          --out <dir>              report folder (default docs/results/<task>); finished runs in its runs.jsonl are reused
          --studies <list>|all     table1, table2, table3, table4, steps-to-threshold, label-noise, spikes, batch-shift
                                   (default table1,table2,steps-to-threshold: the main runs only)
          --study-methods <list>|all  methods of the label-noise, spikes and batch-shift studies (default spamp,clip,none)
          --study-steps <n>        steps of the ablation and perturbation runs (default: --steps; batch shift uses a quarter)
          --data <dir>             the task's data folder (default: examples/data/<name>, else ../shared/data/<name>)
          --batch-size <n>         examples per step (default: the task's)
          --lr <x>                 AdamW peak learning rate, cosine-decayed to 0 (default: the task's)
          --weight-decay <x>       decoupled weight decay (default: the task's)
          --threshold <x>          steps-to-threshold target: an accuracy fraction (0.8) or a perplexity (default: the task's)
          --evaluations <n>        evaluations per run, evenly spaced (default: the task's, 10)
          -h, --help               this text
        """;

    public bool Help { get; init; }

    public string? Task { get; init; }

    public IReadOnlyList<string> Methods { get; init; } = MethodFactory.Names;

    public int Seeds { get; init; } = 3;

    public long? Steps { get; init; }

    public string? Output { get; init; }

    public IReadOnlySet<Study> Studies { get; init; } = ReproductionOptions.DefaultStudies;

    public IReadOnlyList<string>? StudyMethods { get; init; }

    public long? StudySteps { get; init; }

    public string? Data { get; init; }

    public int? BatchSize { get; init; }

    public double? LearningRate { get; init; }

    public double? WeightDecay { get; init; }

    public double? Threshold { get; init; }

    public int? Evaluations { get; init; }

    public static CommandLine Parse(string[] args)
    {
        var o = new CommandLine();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            o = name switch
            {
                "-h" or "--help" => o with { Help = true },
                "--task" => o with { Task = TaskName(Value()) },
                "--methods" or "--method" => o with { Methods = MethodList(Value()) },
                "--seeds" => o with { Seeds = (int)Positive(name, Value()) },
                "--steps" => o with { Steps = Positive(name, Value()) },
                "--out" => o with { Output = Value() },
                "--studies" => o with { Studies = StudyNames.Parse(Value()) },
                "--study-methods" => o with { StudyMethods = MethodList(Value()) },
                "--study-steps" => o with { StudySteps = Positive(name, Value()) },
                "--data" => o with { Data = Value() },
                "--batch-size" => o with { BatchSize = (int)Positive(name, Value()) },
                "--lr" => o with { LearningRate = Number(name, Value()) },
                "--weight-decay" => o with { WeightDecay = Number(name, Value()) },
                "--threshold" => o with { Threshold = Number(name, Value()) },
                "--evaluations" => o with { Evaluations = (int)Positive(name, Value()) },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }

        if (!o.Help && o.Task is null)
        {
            throw new ArgumentException($"--task is required ({string.Join(", ", TaskCatalog.Names)})");
        }

        return o;
    }

    /// <summary>The harness options, with the report folder defaulting to docs/results/&lt;task&gt;.</summary>
    public ReproductionOptions ToOptions(string commandLine) => new()
    {
        Methods = Methods,
        Seeds = Seeds,
        Steps = Steps,
        StudySteps = StudySteps,
        StudyMethods = StudyMethods,
        Studies = Studies,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        WeightDecay = WeightDecay,
        Threshold = Threshold,
        Evaluations = Evaluations,
        OutputDirectory = Output ?? Path.Combine("docs", "results", Task!),
        CommandLine = commandLine,
    };

    private static string TaskName(string text) =>
        TaskCatalog.Names.Contains(text.ToLowerInvariant()) ? text.ToLowerInvariant()
        : throw new ArgumentException($"--task: unknown task '{text}' ({string.Join(", ", TaskCatalog.Names)})");

    private static IReadOnlyList<string> MethodList(string text) =>
        text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? MethodFactory.Names : MethodFactory.ParseList(text);

    private static long Positive(string name, string text) =>
        long.TryParse(text, CultureInfo.InvariantCulture, out long v) && v > 0 && v <= int.MaxValue ? v : throw new ArgumentException($"{name}: '{text}' is not a positive integer");

    private static double Number(string name, string text) =>
        double.TryParse(text, CultureInfo.InvariantCulture, out double v) && v >= 0 && double.IsFinite(v) ? v : throw new ArgumentException($"{name}: '{text}' is not a non-negative number");
}
