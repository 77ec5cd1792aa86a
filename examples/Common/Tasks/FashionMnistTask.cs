using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// Image classification, the stand-in for the paper's CIFAR-10 + ResNet-18 (no CIFAR data is available
/// here): Fashion-MNIST and a small CNN, conv(16) - pool - conv(32) - pool - fc(64) - fc(10) with ReLUs.
/// Without the Debian package's 60,000-image training split the repository's 10,000 test images are cut
/// 8,000/2,000 once, with seed 0, so every seed of every method sees the same evaluation images.
/// </summary>
public sealed class FashionMnistTask : TrainingTask
{
    private readonly TrainTestSplit _data;
    private readonly string _split;

    /// <summary>Loads the data from <paramref name="directory"/> (see <see cref="FashionMnist.LoadTrainTest"/>).</summary>
    public FashionMnistTask(string directory)
    {
        // Fashion-MNIST's pixel mean and standard deviation over the training set.
        _data = FashionMnist.LoadTrainTest(directory, seed: 0, mean: 0.2860f, std: 0.3530f);
        _split = _data.Description;
    }

    /// <inheritdoc/>
    public override string Name => "fashion-mnist";

    /// <inheritdoc/>
    public override string Description =>
        $"{_split}. Model: CNN conv3x3(16)-ReLU-maxpool-conv3x3(32)-ReLU-maxpool-fc(64)-ReLU-fc(10), {ParameterCount()} parameters, cross-entropy.";

    /// <inheritdoc/>
    public override TaskMetric Metric => TaskMetric.Accuracy;

    /// <inheritdoc/>
    public override int ClassCount => 10;

    /// <inheritdoc/>
    public override TensorDataset Train => _data.Train;

    /// <inheritdoc/>
    public override TensorDataset Evaluation => _data.Test;

    /// <inheritdoc/>
    public override TaskDefaults Defaults { get; } = new()
    {
        Steps = 1000,
        BatchSize = 64,
        LearningRate = 2e-3,
        Threshold = 0.80,
    };

    /// <inheritdoc/>
    public override Module BuildModel(ulong seed)
    {
        var generator = new Generator(seed);

        // 28x28 -> conv -> 28x28x16 -> pool -> 14x14x16 -> conv -> 14x14x32 -> pool -> 7x7x32 = 1568 features.
        return new Sequential(
            new Conv2d(1, 16, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(1568, 64, generator: generator), new ReLU(), new Linear(64, 10, generator: generator));
    }

    /// <inheritdoc/>
    public override Variable Forward(Module model, Batch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Forward(new Variable(batch.Inputs));
    }
}
