using Spamp.Examples.Reproduction;
using Spamp.Examples.Tasks;
using Spamp.Tests.Data;

namespace Spamp.Tests.Examples;

/// <summary>The reproduction harness end to end on a tiny task: a few hundred UCI digits, a few steps.</summary>
[TestFixture]
public class ReproductionHarnessTests
{
    private static UciDigitsTask Task()
    {
        string? file = DataFiles.UciDigits();
        Assume.That(file, Is.Not.Null, "no uci-digits file in examples/data or shared/data");
        return new UciDigitsTask(Path.GetDirectoryName(file)!, limit: 300);
    }

    private static ReproductionOptions Options(string directory, IReadOnlySet<Study> studies) => new()
    {
        Methods = ["spamp", "clip"],
        Seeds = 2,
        Steps = 8,
        Studies = studies,
        Evaluations = 2,
        OutputDirectory = directory,
        CommandLine = "test",
    };

    [Test]
    public void PlanSharesRunsBetweenStudies()
    {
        using UciDigitsTask task = Task();
        var plan = new ReproductionPlan(Options("unused", StudyNames.Parse("all")), task);
        int main = 2 * 2, ablations = 2 * 4, noise = 3 * 2 * 2, shift = 2 * 2;
        Assert.Multiple(() =>
        {
            // The 0% noise point, the ablation "full" and the spikes study's clean runs are main runs; spikes add 2 x 2.
            Assert.That(plan.Runs, Has.Count.EqualTo(main + ablations + noise + (2 * 2) + shift));
            Assert.That(plan.Runs.Select(k => k.Id), Is.Unique);
            Assert.That(plan.Runs.Take(main).Select(k => (k.Optimizer, k.Seed)), Is.EqualTo(new[] { ("spamp", 0UL), ("clip", 0UL), ("spamp", 1UL), ("clip", 1UL) }),
                "main runs first, seed by seed");
            Assert.That(plan.ShiftSteps, Is.EqualTo(3), "a quarter of the steps, but at least one per Table 3 interval");
            Assert.That(plan.StudyMethods, Is.EqualTo(new[] { "spamp", "clip" }), "the default study methods that were asked for");
        });
    }

    [Test]
    public void LabelNoiseIsPlannedForClassificationOnly()
    {
        using UciDigitsTask digits = Task();
        using ShakespeareTask shakespeare = new(DataFiles.Examples("tiny-shakespeare"));
        ReproductionOptions options = Options("unused", StudyNames.Parse("label-noise"));
        Assert.Multiple(() =>
        {
            Assert.That(new ReproductionPlan(options, digits).Runs.Select(k => k.LabelNoise).Distinct(), Is.EqualTo(new[] { 0, 0.1, 0.2, 0.4 }));
            Assert.That(new ReproductionPlan(options, shakespeare).Runs, Is.Empty);
        });
    }

    [Test]
    public void WritesTheReportAndReusesFinishedRuns()
    {
        using UciDigitsTask task = Task();
        string directory = ExampleTestSupport.TempDirectory();
        ReproductionOptions options = Options(directory, StudyNames.Parse("all"));
        var log = new StringWriter();
        string summary = Harness.Run(task, options, log);

        string text = File.ReadAllText(summary);
        string[] lines = text.Split('\n');
        int planned = new ReproductionPlan(options, task).Runs.Count;
        Assert.Multiple(() =>
        {
            Assert.That(new RunLog(Path.Combine(directory, Harness.RunsFile)).ReadAll(), Has.Count.EqualTo(planned));
            Assert.That(log.ToString().Split('\n').Count(l => l.StartsWith('[')), Is.EqualTo(planned), "one progress line per run");
            foreach (string figure in (string[])["loss.svg", "update-magnitude.svg", "accuracy.svg", "grad-norm-histogram.svg", "layer-norms-early.svg",
                "layer-norms-mid.svg", "layer-norms-late.svg", "label-noise.svg", "update-magnitude-batch-shift.svg"])
            {
                Assert.That(File.Exists(Path.Combine(directory, figure)), Is.True, figure);
                Assert.That(text, Does.Contain($"]({figure})"), $"summary links {figure}");
            }

            foreach (string heading in (string[])["## Table 1", "## Table 2", "## Table 3", "## Table 4", "## Steps to threshold", "## Label noise",
                "## Gradient spikes", "## Batch-size shift", "## Machine and time", "## Command"])
            {
                Assert.That(text, Does.Contain(heading));
            }

            // Table 1 has one row per method (header, alignment row, two rows); Table 4 the full method and four ablations.
            Assert.That(RowsOf(lines, "## Table 1").Select(r => r[0]), Is.EqualTo(new[] { "spamp", "clip" }));
            Assert.That(RowsOf(lines, "## Table 4").Select(r => r[0]),
                Is.EqualTo(new[] { "spamp (full)", "spamp-no-power", "spamp-global", "spamp-fixed-tau", "spamp-no-ema" }));
            Assert.That(RowsOf(lines, "## Label noise").Select(r => r.Length), Has.All.EqualTo(6), "method, four levels, change");
            Assert.That(RowsOf(lines, "## Table 3").Select(r => r[0]), Is.EqualTo(new[] { "spamp", "clip" }));
            Assert.That(text, Does.Contain("SPAMP").And.Match("(won against|tied with|lost to) clip"));
        });

        // A second invocation finds every run in runs.jsonl and trains nothing.
        var again = new StringWriter();
        Harness.Run(task, options, again);
        Assert.That(again.ToString().Split('\n').Count(l => l.StartsWith('[')), Is.Zero);
        Assert.That(new RunLog(Path.Combine(directory, Harness.RunsFile)).ReadAll(), Has.Count.EqualTo(planned));
    }

    [Test]
    public void RunsAreDeterministicAndMethodsShareTheStart()
    {
        using UciDigitsTask task = Task();
        var settings = new RunSettings(16, 3e-3, 1e-4, 2);
        RunRecord a = RunExecutor.Execute(task, new RunKey("spamp", 1, 6, Spikes: true), settings, "f");
        RunRecord b = RunExecutor.Execute(task, new RunKey("spamp", 1, 6, Spikes: true), settings, "f");
        RunRecord clip = RunExecutor.Execute(task, new RunKey("clip", 1, 6, Spikes: true), settings, "f");
        Assert.Multiple(() =>
        {
            Assert.That(b.Losses, Is.EqualTo(a.Losses), "same key, same run");
            Assert.That(b.FinalMetric, Is.EqualTo(a.FinalMetric));
            Assert.That(clip.Losses[0], Is.EqualTo(a.Losses[0]), "same initial weights and first batch for every method");
            Assert.That(clip.NormsBefore[0], Is.EqualTo(a.NormsBefore[0]));
            Assert.That(a.Evaluations.Select(e => e.Step), Is.EqualTo(new long[] { 3, 6 }));
            Assert.That(a.Snapshots, Has.Count.EqualTo(6), "fewer than 100 steps: a snapshot every step");
            Assert.That(a.LayerNames, Has.Length.EqualTo(4), "two weights and two biases");
            Assert.That(a.UpdateMagnitudes, Has.All.GreaterThan(0));
        });
    }

    [Test]
    public void RunLogKeepsNonFiniteNumbersAndSkipsATornLine()
    {
        string path = Path.Combine(ExampleTestSupport.TempDirectory(), "runs.jsonl");
        var log = new RunLog(path);
        var record = new RunRecord
        {
            Key = "k",
            Fingerprint = "f",
            Optimizer = "spamp",
            Seed = 2,
            Steps = 2,
            Diverged = true,
            FinalMetric = double.NaN,
            Evaluations = [new EvaluationPoint(2, double.NaN, double.PositiveInfinity)],
            Losses = [1.5, double.NaN],
            UpdateMagnitudes = [0.1, 0],
            NormsBefore = [1, double.PositiveInfinity],
            NormsAfter = [1, 0],
            LayerNames = ["0", "1"],
            Snapshots = [new LayerSnapshot(1, [1, 2], [0.5, 1])],
        };
        log.Append(record);
        File.AppendAllText(path, "{\"key\":\"torn");
        List<RunRecord> read = log.ReadAll();
        Assert.That(read, Has.Count.EqualTo(1));
        RunRecord back = read[0];
        Assert.Multiple(() =>
        {
            Assert.That(back.Key, Is.EqualTo("k"));
            Assert.That(back.Losses[1], Is.NaN);
            Assert.That(back.NormsBefore[1], Is.EqualTo(double.PositiveInfinity));
            Assert.That(back.Evaluations[0].Loss, Is.EqualTo(double.PositiveInfinity));
            Assert.That(back.Snapshots[0].After, Is.EqualTo(new[] { 0.5, 1 }));
            Assert.That(back.Diverged, Is.True);
        });
    }

    /// <summary>The data rows (cells trimmed) of the first table after the heading that starts with <paramref name="heading"/>.</summary>
    private static List<string[]> RowsOf(string[] lines, string heading)
    {
        int start = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        int header = Array.FindIndex(lines, start, l => l.StartsWith('|'));
        return [.. lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Trim('|').Split(" | ").Select(c => c.Trim()).ToArray())];
    }
}
