namespace Spamp.Examples;

/// <summary>
/// An evaluation metric that is a mean over examples: the trainer adds up <see cref="BatchSum"/> over the
/// evaluation set and divides by the number of examples.
/// </summary>
public interface IMetric
{
    /// <summary>Short name used in progress lines and results ("accuracy").</summary>
    string Name { get; }

    /// <summary>The metric summed over the examples of one batch (not averaged).</summary>
    double BatchSum(Tensor outputs, Tensor targets);
}

/// <summary>Classification accuracy: the fraction of examples whose highest logit is the target class.</summary>
public sealed class Accuracy : IMetric
{
    /// <inheritdoc/>
    public string Name => "accuracy";

    /// <inheritdoc/>
    public double BatchSum(Tensor outputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        using Tensor predicted = outputs.ArgMax(1);
        long[] p = predicted.ToArray<long>();
        long[] t = targets.ToArray<long>();
        int correct = 0;
        for (int i = 0; i < p.Length; i++)
        {
            correct += p[i] == t[i] ? 1 : 0;
        }

        return correct;
    }
}
