using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Examples;

/// <summary>
/// A language-model corpus as two sets of windows the <see cref="Trainer"/> can use: inputs Int64 [N, T]
/// and targets the same tokens shifted by one (<see cref="TensorDataset.LanguageModelWindows"/>). Training and
/// evaluation windows are cut from separate token streams, so no window reads across the boundary between
/// them and the evaluation text is never trained on.
/// </summary>
public sealed class LanguageModelData : IDisposable
{
    private LanguageModelData(TensorDataset train, TensorDataset evaluation, int trainTokens, int evaluationTokens, int contextLength)
    {
        Train = train;
        Evaluation = evaluation;
        TrainTokens = trainTokens;
        EvaluationTokens = evaluationTokens;
        ContextLength = contextLength;
    }

    /// <summary>The training windows.</summary>
    public TensorDataset Train { get; }

    /// <summary>The evaluation windows.</summary>
    public TensorDataset Evaluation { get; }

    /// <summary>Tokens in the training stream (the windows use all but the remainder of a last partial window).</summary>
    public int TrainTokens { get; }

    /// <summary>Tokens in the evaluation stream.</summary>
    public int EvaluationTokens { get; }

    /// <summary>Tokens per window, T.</summary>
    public int ContextLength { get; }

    /// <summary>
    /// Windows of length <paramref name="contextLength"/> over two separate 1-D Int64 token streams. The
    /// streams stay the caller's (the windows are views that keep their storage alive).
    /// </summary>
    /// <exception cref="ArgumentException">A stream is too short for one window.</exception>
    public static LanguageModelData FromStreams(Tensor trainTokens, Tensor evaluationTokens, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(trainTokens);
        ArgumentNullException.ThrowIfNull(evaluationTokens);
        TensorDataset train = TensorDataset.LanguageModelWindows(trainTokens, contextLength);
        try
        {
            TensorDataset evaluation = TensorDataset.LanguageModelWindows(evaluationTokens, contextLength);
            return new LanguageModelData(train, evaluation, trainTokens.Numel, evaluationTokens.Numel, contextLength);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One token stream cut at <see cref="TextCorpus.SplitPoint"/>: the first <paramref name="trainFraction"/>
    /// trains, the rest evaluates (nanoGPT's 90/10 split by default).
    /// </summary>
    public static LanguageModelData Split(Tensor tokens, int contextLength, double trainFraction = 0.9)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int cut = TextCorpus.SplitPoint(tokens.Numel, trainFraction);
        using Tensor train = tokens.Narrow(0, 0, cut);
        using Tensor evaluation = tokens.Narrow(0, cut, tokens.Numel - cut);
        return FromStreams(train, evaluation, contextLength);
    }

    /// <summary>
    /// The training loss of a batch of windows: cross-entropy of logits [B, T, V] against targets [B, T],
    /// averaged over all B*T tokens (the logits are seen as B*T rows of V classes).
    /// </summary>
    public static Variable NextTokenLoss(Variable logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank != 3 || targets.Rank != 2)
        {
            throw new ShapeMismatchException($"next-token loss: logits must be [B, T, V] and targets [B, T], got {logits.Shape} and {targets.Shape}", nameof(logits));
        }

        int rows = logits.Shape[0] * logits.Shape[1];
        using Tensor flatTargets = targets.Reshape(rows);
        return Functional.CrossEntropy(logits.Reshape(rows, logits.Shape[2]), flatTargets);
    }

    /// <summary>Disposes both sets of windows.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Evaluation.Dispose();
    }
}
