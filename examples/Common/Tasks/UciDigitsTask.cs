using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// A task small enough for tests and quick checks of the harness: the UCI handwritten digits (8x8
/// pixels, 1,797 images) and an MLP 64-32-10. The images are cut once with seed 0 into 80% training and
/// 20% evaluation; <c>limit</c> keeps only the first examples of that order.
/// </summary>
public sealed class UciDigitsTask : TrainingTask
{
    private readonly TensorDataset _train;
    private readonly TensorDataset _evaluation;

    /// <summary>Reads <c>digits.csv.gz</c> from <paramref name="directory"/>, keeping at most <paramref name="limit"/> images.</summary>
    public UciDigitsTask(string directory, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        using TensorDataset all = UciDigits.Load(Path.Combine(directory, "digits.csv.gz"), flatten: true);
        int count = Math.Min(limit ?? all.Count, all.Count);
        long[] order = RandomPermutation.Create(all.Count, 0, RandomPermutation.SplitStream)[..count];
        int cut = count * 4 / 5;
        _train = all.Select(order.AsSpan(0, cut));
        _evaluation = all.Select(order.AsSpan(cut));
    }

    /// <inheritdoc/>
    public override string Name => "uci-digits";

    /// <inheritdoc/>
    public override string Description =>
        $"UCI digits (8x8), {_train.Count} training and {_evaluation.Count} evaluation images (one seed-0 split). Model: MLP 64-32-10 with ReLU, {ParameterCount()} parameters, cross-entropy.";

    /// <inheritdoc/>
    public override TaskMetric Metric => TaskMetric.Accuracy;

    /// <inheritdoc/>
    public override int ClassCount => 10;

    /// <inheritdoc/>
    public override TensorDataset Train => _train;

    /// <inheritdoc/>
    public override TensorDataset Evaluation => _evaluation;

    /// <inheritdoc/>
    public override TaskDefaults Defaults { get; } = new()
    {
        Steps = 300,
        BatchSize = 32,
        LearningRate = 3e-3,
        Threshold = 0.90,
    };

    /// <inheritdoc/>
    public override Module BuildModel(ulong seed)
    {
        var generator = new Generator(seed);
        return new Sequential(new Linear(64, 32, generator: generator), new ReLU(), new Linear(32, 10, generator: generator));
    }

    /// <inheritdoc/>
    public override Variable Forward(Module model, Batch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Forward(new Variable(batch.Inputs));
    }
}
