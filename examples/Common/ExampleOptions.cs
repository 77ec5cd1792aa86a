using System.Globalization;

namespace Spamp.Examples;

/// <summary>
/// The command-line options every training example shares (which methods, how long, the optimizer's
/// learning rate and decay, seed, device, telemetry and plot), parsed by hand: a handful of options, each
/// with a default that makes the example's main job. An example derives a record, sets its own defaults in
/// its constructor, adds its own options in <see cref="ParseOption"/> and writes its help in <see cref="Usage"/>.
/// <code>
/// if (ExampleOptions.ParseOrExit&lt;CharGptOptions&gt;(args, out int exitCode) is not { } options) return exitCode;
/// </code>
/// </summary>
public abstract record ExampleOptions
{
    /// <summary>Exit code for a bad command line (unknown option, bad value).</summary>
    public const int BadArgumentsExitCode = 2;

    /// <summary>Exit code for a device that cannot be used.</summary>
    public const int DeviceUnavailableExitCode = 3;

    /// <summary>Exit code for missing or unreadable data.</summary>
    public const int DataMissingExitCode = 4;

    /// <summary>Print the usage text and stop.</summary>
    public bool Help { get; init; }

    /// <summary>The methods to train with, in order (names of <see cref="MethodFactory.Names"/>).</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["spamp", "clip"];

    /// <summary>A step budget; null lets the example decide (e.g. whole epochs).</summary>
    public long? Steps { get; init; }

    /// <summary>Examples per optimizer step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>AdamW's peak learning rate (cosine-decayed to zero over the run).</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Seed of the initial weights and the data order (and whatever else the example draws).</summary>
    public ulong Seed { get; init; }

    /// <summary>Also evaluate every this many steps; 0 = only at the end.</summary>
    public long EvalEvery { get; init; }

    /// <summary>Where to train.</summary>
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>Where to write the optimizer's per-layer telemetry (.csv, else JSON lines), or null.</summary>
    public string? TelemetryPath { get; init; }

    /// <summary>Where to write the training-loss curves as SVG, or null.</summary>
    public string? PlotPath { get; init; }

    /// <summary>
    /// Parses <paramref name="args"/> and handles what ends the program before training: prints the usage
    /// after <c>--help</c> (exit code 0), a one-line error for a bad option (<see cref="BadArgumentsExitCode"/>)
    /// or a device that cannot be used (<see cref="DeviceUnavailableExitCode"/>). Returns null with the exit
    /// code in those cases, else the options.
    /// </summary>
    public static T? ParseOrExit<T>(string[] args, out int exitCode) where T : ExampleOptions, new()
    {
        ArgumentNullException.ThrowIfNull(args);
        var defaults = new T();
        T options;
        try
        {
            options = Parse(args, defaults);
            if (!options.Help)
            {
                options.Validate();
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {ErrorMessage(e)}");
            Console.Error.WriteLine("run with --help for the options");
            exitCode = BadArgumentsExitCode;
            return null;
        }

        if (options.Help)
        {
            // The defaults, not the parsed values: "--steps 5 --help" still documents the default.
            Console.WriteLine(defaults.Usage());
            exitCode = 0;
            return null;
        }

        if (options.Device != DeviceKind.Cpu)
        {
            // The CUDA and OpenCL backends are still being written; say why instead of failing inside a kernel.
            string reason = Spamp.Device.IsAvailable(options.Device, out string why) ? "the examples run on the CPU only for now" : why;
            Console.Error.WriteLine($"error: device {options.Device.ToString().ToLowerInvariant()} is not available: {reason}");
            exitCode = DeviceUnavailableExitCode;
            return null;
        }

        exitCode = 0;
        return options;
    }

    /// <summary>
    /// <paramref name="defaults"/> with the options of <paramref name="args"/> applied in order (a later
    /// occurrence wins).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown option, a missing value or a bad value; the message says which.</exception>
    public static T Parse<T>(string[] args, T defaults) where T : ExampleOptions
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(defaults);
        T o = defaults;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");

            // `with` copies the runtime type, so the result of the base's parser is still a T.
            o = (T)(o.ParseCommonOption(name, Value) ?? o.ParseOption(name, Value) ?? throw new ArgumentException($"unknown option '{name}'"));
        }

        return o;
    }

    /// <summary>The usage text: what the example does, its command and every option with its default.</summary>
    public abstract string Usage();

    /// <summary>The telemetry file of <paramref name="method"/>: with several methods each gets its own (run.csv -> run.spamp.csv).</summary>
    public string? TelemetryPathFor(string method) =>
        TelemetryPath is null || Methods.Count == 1 ? TelemetryPath
            : Path.Combine(Path.GetDirectoryName(TelemetryPath) ?? "", $"{Path.GetFileNameWithoutExtension(TelemetryPath)}.{method}{Path.GetExtension(TelemetryPath)}");

    /// <summary>
    /// The usage lines of the shared options, showing this instance's values as defaults. <paramref name="steps"/>
    /// describes what <c>--steps</c> means for the example.
    /// </summary>
    protected string CommonUsage(string steps) => string.Create(CultureInfo.InvariantCulture, $"""
          --method <names>         one or several methods, comma-separated, or "compare" (= spamp,clip); every method starts
                                   from the same initial weights and sees the same data order (default {string.Join(",", Methods)}).
                                   {WrappedMethodNames()}
          --steps <n>              {steps}
          --batch-size <n>         examples per step (default {BatchSize})
          --lr <x>                 AdamW peak learning rate, cosine-decayed to 0 (default {LearningRate})
          --weight-decay <x>       AdamW decoupled weight decay (default {WeightDecay})
          --seed <n>               initial weights and data order (default {Seed})
          --eval-every <n>         also evaluate every n steps (default: only at the end)
          --device cpu|cuda|opencl where to train (default {Device.ToString().ToLowerInvariant()}; GPU backends are not available yet)
          --telemetry <file>       write the optimizer's per-layer telemetry (.csv, else JSON lines); one file per method
          --plot <file.svg>        write the training-loss curves as an SVG line chart
          -h, --help               this text
        """);

    // "valid: spamp, clip, ..." in lines that fit a terminal, aligned under the option's description.
    private static string WrappedMethodNames()
    {
        const int Indent = 34, Width = 110;
        var text = new System.Text.StringBuilder("valid:");
        int lineLength = Indent + text.Length;
        for (int i = 0; i < MethodFactory.Names.Count; i++)
        {
            string item = MethodFactory.Names[i] + (i + 1 < MethodFactory.Names.Count ? "," : " (see examples/Common/MethodFactory.cs)");
            if (lineLength + 1 + item.Length > Width)
            {
                text.Append('\n').Append(' ', Indent - 1);
                lineLength = Indent - 1;
            }

            text.Append(' ').Append(item);
            lineLength += 1 + item.Length;
        }

        return text.ToString();
    }

    /// <summary>Checks what no single option can (e.g. that the heads divide the model width); throws <see cref="ArgumentException"/>.</summary>
    public virtual void Validate()
    {
    }

    /// <summary>
    /// Applies an option of the derived example: returns the options with it applied, or null when
    /// <paramref name="name"/> is not one of the example's options. Call <paramref name="value"/> once to
    /// take the option's value.
    /// </summary>
    protected virtual ExampleOptions? ParseOption(string name, Func<string> value) => null;

    /// <summary>
    /// A path under the repository root (the directory holding Spamp.Core.sln, found from the build output
    /// or the working directory), so <c>dotnet run</c> finds the committed data from anywhere; relative to
    /// the working directory when no repository is found.
    /// </summary>
    public static string RepositoryPath(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        string relative = Path.Combine(parts);
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (string? dir = start; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "Spamp.Core.sln")))
                {
                    return Path.GetFullPath(Path.Combine(dir, relative));
                }
            }
        }

        return relative;
    }

    /// <summary>An integer of at least 1, or an error naming the option.</summary>
    public static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
            : throw new ArgumentException($"{name}: '{text}' is not a positive integer");

    /// <summary>An integer of at least 0, or an error naming the option.</summary>
    public static int NonNegativeInt(string name, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v
            : throw new ArgumentException($"{name}: '{text}' is not a non-negative integer");

    /// <summary>A finite number of at least 0, or an error naming the option.</summary>
    public static double NonNegativeNumber(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v >= 0 ? v
            : throw new ArgumentException($"{name}: '{text}' is not a non-negative number");

    /// <summary>A finite number above 0, or an error naming the option.</summary>
    public static double PositiveNumber(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v > 0 ? v
            : throw new ArgumentException($"{name}: '{text}' is not a positive number");

    /// <summary>A number in [0, 1), or an error naming the option (dropout probabilities).</summary>
    public static double Probability(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && v < 1 ? v
            : throw new ArgumentException($"{name}: '{text}' is not a probability in [0, 1)");

    /// <summary>The message of a command-line error without the "(Parameter 'x')" that means nothing to someone typing options.</summary>
    public static string ErrorMessage(ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
    }

    private ExampleOptions? ParseCommonOption(string name, Func<string> value) => name switch
    {
        "-h" or "--help" => this with { Help = true },
        "--method" or "--methods" => this with { Methods = MethodFactory.ParseList(value()) },
        "--steps" => this with { Steps = PositiveInt(name, value()) },
        "--batch-size" => this with { BatchSize = PositiveInt(name, value()) },
        "--lr" => this with { LearningRate = PositiveNumber(name, value()) },
        "--weight-decay" => this with { WeightDecay = NonNegativeNumber(name, value()) },
        "--seed" => this with { Seed = ParseSeed(name, value()) },
        "--eval-every" => this with { EvalEvery = PositiveInt(name, value()) },
        "--device" => this with { Device = ParseDevice(name, value()) },
        "--telemetry" => this with { TelemetryPath = value() },
        "--plot" => this with { PlotPath = value() },
        _ => null,
    };

    private static ulong ParseSeed(string name, string text) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s
            : throw new ArgumentException($"{name}: '{text}' is not a non-negative integer");

    private static DeviceKind ParseDevice(string name, string text) => text.ToLowerInvariant() switch
    {
        "cpu" => DeviceKind.Cpu,
        "cuda" => DeviceKind.Cuda,
        "opencl" => DeviceKind.OpenCl,
        _ => throw new ArgumentException($"{name}: unknown device '{text}' (cpu, cuda or opencl)"),
    };
}
