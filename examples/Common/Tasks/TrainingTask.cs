using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples.Tasks;

/// <summary>
/// One experiment of the reproduction: the data, how to build the model from a seed, the loss and the
/// metric. Every method trains the same task, so a comparison differs in the optimizer alone. The task owns
/// its data sets and disposes them.
/// </summary>
public abstract class TrainingTask : IDisposable
{
    private bool _disposed;

    /// <summary>The name used on the command line ("fashion-mnist").</summary>
    public abstract string Name { get; }

    /// <summary>Where the data came from, how it was split and what the model is, for the report.</summary>
    public abstract string Description { get; }

    /// <summary>What evaluation measures.</summary>
    public abstract TaskMetric Metric { get; }

    /// <summary>True when larger metric values are better (accuracy), false when smaller ones are (perplexity).</summary>
    public bool HigherIsBetter => Metric == TaskMetric.Accuracy;

    /// <summary>The metric's name for tables ("accuracy", "perplexity").</summary>
    public string MetricName => Metric == TaskMetric.Accuracy ? "accuracy" : "perplexity";

    /// <summary>The number of classes of a classification task (its targets are Int64 labels in [0, ClassCount)); 0 otherwise.</summary>
    public virtual int ClassCount => 0;

    /// <summary>The training examples.</summary>
    public abstract TensorDataset Train { get; }

    /// <summary>The evaluation examples (never trained on).</summary>
    public abstract TensorDataset Evaluation { get; }

    /// <summary>The settings runs use unless told otherwise.</summary>
    public abstract TaskDefaults Defaults { get; }

    /// <summary>A fresh model whose initial weights depend on <paramref name="seed"/> alone.</summary>
    public abstract Module BuildModel(ulong seed);

    /// <summary>The model's output for one batch.</summary>
    public abstract Variable Forward(Module model, Batch batch);

    /// <summary>The mean training loss of one batch (cross-entropy over classes or over next tokens).</summary>
    public virtual Variable Loss(Variable output, Tensor targets) => Functional.CrossEntropy(output, targets);

    /// <summary>
    /// The metric and the mean loss of <paramref name="model"/> on <see cref="Evaluation"/>, in evaluation
    /// mode and without gradients.
    /// </summary>
    public (double Metric, double Loss) Evaluate(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        double correct = 0, loss = 0;
        int seen = 0;
        model.Eval();
        try
        {
            using IDisposable noGrad = Autograd.NoGrad();
            foreach (Batch batch in new DataLoader(Evaluation, Defaults.EvalBatchSize).Epoch(0))
            {
                using (batch)
                {
                    using var scope = TensorScope.Begin();
                    Variable output = Forward(model, batch);
                    loss += Loss(output, batch.Targets).Data.ItemAsDouble() * batch.Count;
                    if (Metric == TaskMetric.Accuracy)
                    {
                        correct += new Accuracy().BatchSum(output.Data, batch.Targets);
                    }

                    seen += batch.Count;
                }
            }
        }
        finally
        {
            model.Train();
        }

        double meanLoss = loss / seen;
        return (Metric == TaskMetric.Accuracy ? correct / seen : Math.Exp(meanLoss), meanLoss);
    }

    /// <summary>The number of trainable values of the task's model.</summary>
    public long ParameterCount()
    {
        using Module model = BuildModel(0);
        return model.Parameters().Sum(p => (long)p.Numel);
    }

    /// <summary>Disposes the data sets.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Dispose(true);
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Releases the task's data sets.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Train.Dispose();
            Evaluation.Dispose();
        }
    }
}
