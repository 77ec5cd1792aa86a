using Spamp.Examples;

namespace Spamp.Tests.Examples;

[TestFixture]
public class ExampleOptionsTests
{
    /// <summary>An example's options as the examples write them: own defaults, one own option, one cross-option check.</summary>
    private sealed record TestOptions : ExampleOptions
    {
        public TestOptions()
        {
            Methods = ["spamp"];
            Steps = 10;
        }

        public int Width { get; init; } = 8;

        public override string Usage() => $"test example\n  --width <n> (default {Width})\n{CommonUsage($"steps (default {Steps})")}";

        public override void Validate()
        {
            if (Width % 2 != 0)
            {
                throw new ArgumentException($"--width {Width} must be even");
            }
        }

        protected override ExampleOptions? ParseOption(string name, Func<string> value) => name switch
        {
            "--width" => this with { Width = PositiveInt(name, value()) },
            _ => null,
        };
    }

    private static TestOptions Parse(params string[] args) => ExampleOptions.Parse(args, new TestOptions());

    private static string ErrorOf(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(args))!;
        return ExampleOptions.ErrorMessage(e);
    }

    [Test]
    public void NoArgumentsGiveTheExamplesDefaults()
    {
        TestOptions o = Parse();
        Assert.Multiple(() =>
        {
            Assert.That(o.Methods, Is.EqualTo(new[] { "spamp" }));
            Assert.That(o.Steps, Is.EqualTo(10));
            Assert.That(o.BatchSize, Is.EqualTo(64), "a shared default the example kept");
            Assert.That(o.Width, Is.EqualTo(8));
            Assert.That(o.Device, Is.EqualTo(DeviceKind.Cpu));
            Assert.That(o.Help, Is.False);
        });
    }

    [Test]
    public void SharedAndOwnOptionsApplyInOrder()
    {
        TestOptions o = Parse("--method", "spamp,clip,none", "--steps", "5", "--width", "4", "--lr", "3e-4", "--seed", "7",
            "--batch-size", "16", "--weight-decay", "0", "--device", "CPU", "--telemetry", "t.csv", "--plot", "p.svg", "--steps", "6");
        Assert.Multiple(() =>
        {
            Assert.That(o, Is.TypeOf<TestOptions>(), "the shared parser keeps the example's type");
            Assert.That(o.Methods, Is.EqualTo(new[] { "spamp", "clip", "none" }));
            Assert.That(o.Steps, Is.EqualTo(6), "a later occurrence wins");
            Assert.That(o.Width, Is.EqualTo(4));
            Assert.That(o.LearningRate, Is.EqualTo(3e-4));
            Assert.That(o.Seed, Is.EqualTo(7UL));
            Assert.That(o.BatchSize, Is.EqualTo(16));
            Assert.That(o.WeightDecay, Is.Zero);
            Assert.That(o.TelemetryPath, Is.EqualTo("t.csv"));
            Assert.That(o.PlotPath, Is.EqualTo("p.svg"));
        });
        Assert.That(Parse("--method", "compare").Methods, Is.EqualTo(new[] { "spamp", "clip" }));
    }

    [Test]
    public void BadMethodNamesSayWhichAndListTheValidOnes()
    {
        string message = ErrorOf("--method", "spamp,clipp");
        Assert.That(message, Does.Contain("unknown method 'clipp'").And.Contain("warmup-clip").And.Contain("stable-spam"));
        Assert.That(message, Does.Not.Contain("(Parameter"), "the command line shows no C# parameter names");
        Assert.That(ErrorOf("--method", ","), Does.Contain("no method given"));
    }

    [TestCase("--steps", "x", "--steps: 'x' is not a positive integer")]
    [TestCase("--steps", "0", "--steps: '0' is not a positive integer")]
    [TestCase("--batch-size", "-3", "--batch-size: '-3' is not a positive integer")]
    [TestCase("--batch-size", "2.5", "--batch-size: '2.5' is not a positive integer")]
    [TestCase("--lr", "fast", "--lr: 'fast' is not a positive number")]
    [TestCase("--lr", "0", "--lr: '0' is not a positive number")]
    [TestCase("--lr", "NaN", "--lr: 'NaN' is not a positive number")]
    [TestCase("--weight-decay", "-0.1", "--weight-decay: '-0.1' is not a non-negative number")]
    [TestCase("--seed", "-1", "--seed: '-1' is not a non-negative integer")]
    [TestCase("--device", "tpu", "--device: unknown device 'tpu' (cpu, cuda or opencl)")]
    [TestCase("--width", "wide", "--width: 'wide' is not a positive integer")]
    public void BadNumbersAndNamesGiveAnErrorNamingTheOption(string option, string value, string expected) =>
        Assert.That(ErrorOf(option, value), Is.EqualTo(expected));

    [Test]
    public void UnknownOptionsAndMissingValuesAreErrors()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ErrorOf("--bogus"), Is.EqualTo("unknown option '--bogus'"));
            Assert.That(ErrorOf("--steps", "5", "--lr"), Is.EqualTo("--lr needs a value"));
        });
    }

    [Test]
    public void ParseOrExitStopsWithTheRightExitCode()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ExampleOptions.ParseOrExit<TestOptions>(["--help"], out int help), Is.Null);
            Assert.That(help, Is.Zero);
            Assert.That(ExampleOptions.ParseOrExit<TestOptions>(["--method", "adamw"], out int bad), Is.Null);
            Assert.That(bad, Is.EqualTo(ExampleOptions.BadArgumentsExitCode));
            Assert.That(ExampleOptions.ParseOrExit<TestOptions>(["--width", "3"], out int invalid), Is.Null, "Validate runs after parsing");
            Assert.That(invalid, Is.EqualTo(ExampleOptions.BadArgumentsExitCode));
            Assert.That(ExampleOptions.ParseOrExit<TestOptions>(["--device", "opencl"], out int device), Is.Null, "the examples train on the CPU only for now");
            Assert.That(device, Is.EqualTo(ExampleOptions.DeviceUnavailableExitCode));
            Assert.That(ExampleOptions.ParseOrExit<TestOptions>(["--width", "6"], out int ok)!.Width, Is.EqualTo(6));
            Assert.That(ok, Is.Zero);
        });
    }

    [Test]
    public void UsageShowsTheExamplesDefaults()
    {
        string usage = new TestOptions().Usage();
        Assert.That(usage, Does.Contain("(default spamp)").And.Contain("steps (default 10)").And.Contain("(default 8)").And.Contain("shrink"));
    }

    [Test]
    public void SeveralMethodsWriteSeveralTelemetryFiles()
    {
        TestOptions one = Parse("--telemetry", Path.Combine("out", "run.csv"));
        TestOptions two = Parse("--telemetry", Path.Combine("out", "run.csv"), "--method", "spamp,clip");
        Assert.Multiple(() =>
        {
            Assert.That(one.TelemetryPathFor("spamp"), Is.EqualTo(Path.Combine("out", "run.csv")));
            Assert.That(two.TelemetryPathFor("clip"), Is.EqualTo(Path.Combine("out", "run.clip.csv")));
            Assert.That(Parse().TelemetryPathFor("spamp"), Is.Null);
        });
    }

    [Test]
    public void RepositoryPathsAreUnderTheRepositoryRoot()
    {
        string path = ExampleOptions.RepositoryPath("examples", "data", "tiny-shakespeare", "input.txt");
        Assert.That(File.Exists(path), Is.True, path);
    }
}
