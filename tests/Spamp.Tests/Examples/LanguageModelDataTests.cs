using Spamp.Data;
using Spamp.Examples;
using Spamp.Layers;

namespace Spamp.Tests.Examples;

[TestFixture]
public class LanguageModelDataTests
{
    [Test]
    public void SplitWindowsStayOnTheirSideOfTheCutAndTargetsAreShiftedByOne()
    {
        // Token i has value i, so a window's values say exactly where it was cut from.
        const int N = 103, T = 4;
        using Tensor tokens = Tensor.Arange(0, N, 1, DType.Int64);
        using LanguageModelData data = LanguageModelData.Split(tokens, T, trainFraction: 0.9);
        int cut = TextCorpus.SplitPoint(N, 0.9);
        Assert.That(cut, Is.EqualTo(92));

        long[] trainX = data.Train.Inputs.ToArray<long>(), trainY = data.Train.Targets.ToArray<long>();
        long[] evalX = data.Evaluation.Inputs.ToArray<long>(), evalY = data.Evaluation.Targets.ToArray<long>();
        Assert.Multiple(() =>
        {
            Assert.That(data.Train.Inputs.Shape.ToArray(), Is.EqualTo(new[] { (cut - 1) / T, T }), "whole windows whose last target is still a training token");
            Assert.That(data.Evaluation.Inputs.Shape.ToArray(), Is.EqualTo(new[] { (N - cut - 1) / T, T }));
            Assert.That(data.TrainTokens, Is.EqualTo(cut));
            Assert.That(data.EvaluationTokens, Is.EqualTo(N - cut));
            Assert.That(trainY.Max(), Is.LessThan(cut), "no training window reads into the evaluation text");
            Assert.That(evalX.Min(), Is.GreaterThanOrEqualTo(cut), "no evaluation window starts in the training text");
            Assert.That(evalY.Max(), Is.LessThan(N), "no window runs past the end");
        });

        for (int i = 0; i < trainX.Length; i++)
        {
            Assert.That(trainY[i], Is.EqualTo(trainX[i] + 1));
        }

        for (int i = 0; i < evalX.Length; i++)
        {
            Assert.That(evalY[i], Is.EqualTo(evalX[i] + 1));
        }

        Assert.That(evalX[0], Is.EqualTo(cut), "evaluation windows start right at the cut");
    }

    [Test]
    public void StreamsTooShortForOneWindowAreRejected()
    {
        using Tensor train = Tensor.Arange(0, 20, 1, DType.Int64);
        using Tensor evaluation = Tensor.Arange(0, 4, 1, DType.Int64);
        Assert.That(() => LanguageModelData.FromStreams(train, evaluation, 4), Throws.ArgumentException.With.Message.Contains("too few"));
    }

    [Test]
    public void NextTokenLossIsTheMeanCrossEntropyOverAllPositions()
    {
        using var scope = TensorScope.Begin();
        float[] logits = [1, 2, 0, -1, 0.5f, 3, 2, 2, 2, 0, 0, 1];
        long[] targets = [1, 2, 0, 2];
        Variable loss = LanguageModelData.NextTokenLoss(new Variable(Tensor.From(logits, 2, 2, 3)), Tensor.From(targets, 2, 2));
        Assert.That(loss.Data.ItemAsDouble(), Is.EqualTo(MeanNll(logits, targets, 3)).Within(1e-6));
        Assert.That(() => LanguageModelData.NextTokenLoss(new Variable(Tensor.From(logits, 4, 3)), Tensor.From(targets, 2, 2)),
            Throws.TypeOf<ShapeMismatchException>());
    }

    [Test]
    public void EvaluationGivesPerplexityAndTokenAccuracyAsComputedByHand()
    {
        // A bigram model: an Embedding whose row for token a holds the logits of the next token, so the
        // trainer's evaluation can be compared with a hand computation over every (input, target) pair.
        const int V = 3, T = 2;
        float[] table = [2, 0, -1, 0.5f, 0.5f, 1, -2, 3, 0];
        long[] stream = [0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1];
        using var model = new Embedding(V, V);
        using (Tensor weights = Tensor.From(table, V, V))
        {
            model.Weight.Data.CopyFrom(weights);
        }

        using Tensor tokens = Tensor.From(stream, stream.Length);
        using TensorDataset windows = TensorDataset.LanguageModelWindows(tokens, T);
        var trainer = new Trainer(model, MethodFactory.Create("none", model.Parameters(), 1e-3, 0, 1),
            (logits, targets) => LanguageModelData.NextTokenLoss(logits, targets),
            new TrainerOptions { EvalBatchSize = 3, Progress = ProgressMode.None }, new TokenAccuracy());

        // 5 windows in batches of 3 and 2: the trainer must weight the batches by their size.
        Evaluation evaluation = trainer.Evaluate(windows, step: 0);

        int pairs = windows.Count * T;
        var inputs = new long[pairs];
        var next = new long[pairs];
        var logitsOfPairs = new float[pairs * V];
        int correct = 0;
        for (int i = 0; i < pairs; i++)
        {
            inputs[i] = stream[i];
            next[i] = stream[i + 1];
            Array.Copy(table, inputs[i] * V, logitsOfPairs, i * V, V);
            int best = 0;
            for (int c = 1; c < V; c++)
            {
                best = table[(inputs[i] * V) + c] > table[(inputs[i] * V) + best] ? c : best;
            }

            correct += best == next[i] ? 1 : 0;
        }

        double meanNll = MeanNll(logitsOfPairs, next, V);
        Assert.Multiple(() =>
        {
            Assert.That(evaluation.Loss, Is.EqualTo(meanNll).Within(1e-6));
            Assert.That(Perplexity.FromCrossEntropy(evaluation.Loss), Is.EqualTo(Math.Exp(meanNll)).Within(1e-5));
            Assert.That(evaluation.Metric, Is.EqualTo((double)correct / pairs).Within(1e-12));
        });
    }

    [Test]
    public void PerplexityOfAUniformGuessIsTheVocabularySize() =>
        Assert.That(Perplexity.FromCrossEntropy(Math.Log(65)), Is.EqualTo(65).Within(1e-9));

    [Test]
    public void TokenAccuracyCountsPositionsPerWindow()
    {
        // Window 0 gets 2 of 2 positions right, window 1 gets 1 of 2: the sum over windows is 1.5.
        float[] logits = [0, 5, 1, 9, 3, 0, 0, 0, 1, 1, 0, 0];
        using Tensor output = Tensor.From(logits, 2, 2, 3);
        using Tensor targets = Tensor.From(new long[] { 1, 0, 2, 1 }, 2, 2);
        Assert.That(new TokenAccuracy().BatchSum(output, targets), Is.EqualTo(1.5));
    }

    /// <summary>Mean of -log softmax(row)[target] over rows of <paramref name="classes"/> logits, in double.</summary>
    private static double MeanNll(float[] logits, long[] targets, int classes)
    {
        double sum = 0;
        for (int row = 0; row < targets.Length; row++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                max = Math.Max(max, logits[(row * classes) + c]);
            }

            double z = 0;
            for (int c = 0; c < classes; c++)
            {
                z += Math.Exp(logits[(row * classes) + c] - max);
            }

            sum -= logits[(row * classes) + (int)targets[row]] - max - Math.Log(z);
        }

        return sum / targets.Length;
    }
}
