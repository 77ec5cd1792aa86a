using Spamp.Examples;
using Spamp.Layers;
using Spamp.Optim;

namespace Spamp.Tests.Examples;

[TestFixture]
public class TrainerTests
{
    private static readonly CrossEntropyLoss Loss = new();

    private static TrainerOptions Options(long steps) => new()
    {
        MaxSteps = steps,
        BatchSize = 32,
        Seed = 5,
        Progress = ProgressMode.None,
    };

    private static Trainer Make(Sequential model, TrainerOptions options, string method = "spamp") =>
        new(model, MethodFactory.Create(method, model.Parameters(), 1e-2, 1e-2, options.MaxSteps!.Value),
            (logits, labels) => Loss.Forward(logits, labels), options);

    private static float[][] Snapshot(Sequential model) => [.. model.Parameters().Select(p => p.Data.ToArray<float>())];

    [Test]
    public void LossDecreasesAndAccuracyIsHigh()
    {
        using var data = ExampleTestSupport.Blobs();
        using var test = ExampleTestSupport.Blobs(seed: 2);
        using var model = ExampleTestSupport.Mlp(3);
        TrainingResult result = Make(model, Options(120) with { EvalEvery = 40 }).Fit(data, test);

        Assert.Multiple(() =>
        {
            Assert.That(result.Steps, Is.EqualTo(120));
            Assert.That(result.Losses, Has.Count.EqualTo(120));
            Assert.That(result.Losses.Skip(110).Average(), Is.LessThan(result.Losses.Take(10).Average() * 0.5));
            Assert.That(result.Evaluations.Select(e => e.Step), Is.EqualTo(new long[] { 40, 80, 120 }));
            Assert.That(result.Final.Metric, Is.GreaterThan(0.8));
            Assert.That(result.MaxUpdateMagnitude, Is.GreaterThan(0).And.GreaterThanOrEqualTo(result.MeanUpdateMagnitude));
        });
    }

    [Test]
    public void EpochsCountFullBatches()
    {
        using var data = ExampleTestSupport.Blobs();
        using var model = ExampleTestSupport.Mlp(3);
        var options = new TrainerOptions { Epochs = 2, BatchSize = 100, Progress = ProgressMode.None };
        var trainer = new Trainer(model, MethodFactory.Create("clip", model.Parameters(), 1e-2, 0, options.TotalSteps(data.Count)),
            (logits, labels) => Loss.Forward(logits, labels), options);
        Assert.That(trainer.Fit(data).Steps, Is.EqualTo(4), "256 examples make 2 full batches of 100 per epoch");
    }

    [Test]
    public void ResumingFromACheckpointIsBitExact()
    {
        // 256 examples in batches of 32 make 8 steps per epoch: step 12 is in the middle of the second epoch.
        using var data = ExampleTestSupport.Blobs();
        string dir = ExampleTestSupport.TempDirectory();
        try
        {
            using var uninterrupted = ExampleTestSupport.Mlp(3);
            Make(uninterrupted, Options(20)).Fit(data);

            using var checkpointed = ExampleTestSupport.Mlp(3);
            Make(checkpointed, Options(20) with { CheckpointEvery = 12, CheckpointDirectory = dir }).Fit(data);
            string checkpoint = Path.Combine(dir, "step-000012");
            Assert.That(File.Exists(Path.Combine(checkpoint, "model.safetensors")), Is.True);
            Assert.That(File.Exists(Path.Combine(checkpoint, "optimizer.json")), Is.True);

            // Different initial weights: everything must come from the checkpoint.
            using var resumed = ExampleTestSupport.Mlp(99);
            Trainer trainer = Make(resumed, Options(20));
            trainer.Resume(checkpoint);
            TrainingResult rest = trainer.Fit(data);

            Assert.That(rest.Steps, Is.EqualTo(20));
            Assert.That(rest.Losses, Has.Count.EqualTo(8));
            float[][] expected = Snapshot(uninterrupted);
            Assert.That(Snapshot(checkpointed), Is.EqualTo(expected), "same seed, same run");
            Assert.That(Snapshot(resumed), Is.EqualTo(expected), "resumed run must match bit for bit");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void StateDictFileRoundTripsEveryValueType()
    {
        string dir = ExampleTestSupport.TempDirectory();
        try
        {
            using Tensor t = Tensor.From([1.5f, -2f, float.NaN], 3);
            var state = new StateDict
            {
                ["a.double"] = 0.1 + 0.2,
                ["a.inf"] = double.NegativeInfinity,
                ["a.long"] = long.MaxValue,
                ["a.doubles"] = new[] { 1e-300, double.NaN },
                ["a.longs"] = new[] { -1L, 2L },
                ["a.flag"] = true,
                ["a.tensor"] = t,
            };
            string basePath = Path.Combine(dir, "optimizer");
            StateDictFile.Save(basePath, state);
            StateDict loaded = StateDictFile.Load(basePath);
            using Tensor loadedTensor = loaded.GetTensor("a.tensor");

            Assert.Multiple(() =>
            {
                Assert.That(loaded.Keys, Is.EqualTo(state.Keys));
                Assert.That(BitConverter.DoubleToInt64Bits(loaded.GetDouble("a.double")), Is.EqualTo(BitConverter.DoubleToInt64Bits(0.1 + 0.2)));
                Assert.That(loaded.GetDouble("a.inf"), Is.EqualTo(double.NegativeInfinity));
                Assert.That(loaded.GetLong("a.long"), Is.EqualTo(long.MaxValue));
                Assert.That((double[])loaded["a.doubles"], Is.EqualTo(new[] { 1e-300, double.NaN }));
                Assert.That((long[])loaded["a.longs"], Is.EqualTo(new[] { -1L, 2L }));
                Assert.That(loaded["a.flag"], Is.True);
                Assert.That(loadedTensor.ToArray<float>(), Is.EqualTo(new[] { 1.5f, -2f, float.NaN }));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase("telemetry.csv")]
    [TestCase("telemetry.jsonl")]
    public void WritesTelemetry(string fileName)
    {
        using var data = ExampleTestSupport.Blobs();
        using var model = ExampleTestSupport.Mlp(3);
        string dir = ExampleTestSupport.TempDirectory();
        try
        {
            string path = Path.Combine(dir, fileName);
            Make(model, Options(5) with { TelemetryPath = path }).Fit(data);
            string[] lines = File.ReadAllLines(path);
            if (fileName.EndsWith(".csv", StringComparison.Ordinal))
            {
                Assert.That(lines[0], Is.EqualTo(StepReportCsvWriter.Header));
                Assert.That(lines[0].Split(','), Does.Contain("update_magnitude").And.Contain("tau").And.Contain("alpha").And.Contain("lr"));

                // One row per layer per step; layers are parameter tensors by default (2 weights, 2 biases).
                Assert.That(lines, Has.Length.EqualTo(1 + (5 * 4)));
            }
            else
            {
                Assert.That(lines, Is.Not.Empty);
                using var first = System.Text.Json.JsonDocument.Parse(lines[0]);
                Assert.That(first.RootElement.ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Object));
                Assert.That(lines[0], Does.Contain("update_magnitude"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
