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

/// <summary>
/// Next-token accuracy of a language model: the fraction of positions whose highest logit is the target
/// token. Outputs are logits [B, T, V] and targets token ids [B, T]; each window contributes its own
/// fraction, so with windows of equal length the trainer's mean over windows is the mean over tokens.
/// </summary>
public sealed class TokenAccuracy : IMetric
{
    /// <inheritdoc/>
    public string Name => "next-token accuracy";

    /// <inheritdoc/>
    public double BatchSum(Tensor outputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (outputs.Rank != 3 || targets.Rank != 2 || outputs.Shape[0] != targets.Shape[0] || outputs.Shape[1] != targets.Shape[1])
        {
            throw new ShapeMismatchException($"token accuracy: logits must be [B, T, V] and targets [B, T], got {outputs.Shape} and {targets.Shape}", nameof(targets));
        }

        using Tensor predicted = outputs.ArgMax(2);
        long[] p = predicted.ToArray<long>();
        long[] t = targets.ToArray<long>();
        int correct = 0;
        for (int i = 0; i < p.Length; i++)
        {
            correct += p[i] == t[i] ? 1 : 0;
        }

        return (double)correct / targets.Shape[1];
    }
}

/// <summary>Perplexity, the usual language-model score: how many tokens the model is, on average, as unsure as a uniform choice among.</summary>
public static class Perplexity
{
    /// <summary>
    /// exp of the mean per-token cross-entropy in nats. The trainer's evaluation loss is that mean when the
    /// loss is <see cref="LanguageModelData.NextTokenLoss"/> (mean over the tokens of a batch) and every window
    /// has the same length, since it weights each batch's mean by its number of windows.
    /// </summary>
    public static double FromCrossEntropy(double meanCrossEntropy) => Math.Exp(meanCrossEntropy);
}
