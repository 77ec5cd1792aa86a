namespace Spamp.Examples.Tasks;

/// <summary>What a task reports on its evaluation set.</summary>
public enum TaskMetric
{
    /// <summary>Classification accuracy, the fraction of correct predictions (higher is better).</summary>
    Accuracy,

    /// <summary>Language-model perplexity, exp of the mean per-token cross-entropy (lower is better).</summary>
    Perplexity,
}
