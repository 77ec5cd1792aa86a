using Spamp.Layers;

namespace Spamp.Examples;

/// <summary>
/// Autoregressive sampling from a trained <see cref="Gpt"/>, as nanoGPT's <c>generate</c>: feed the last
/// block_size tokens, scale the last position's logits by 1/temperature, keep the top k, draw from the
/// softmax, append, repeat. Draws come from a seeded <see cref="Generator"/>, so the same model, prompt,
/// settings and seed give the same text.
/// </summary>
public static class GptSampler
{
    /// <summary>
    /// <paramref name="count"/> new token ids continuing <paramref name="prompt"/>. The model runs in
    /// evaluation mode (no dropout) and without recording a graph; its training mode is restored after.
    /// </summary>
    /// <param name="model">The language model.</param>
    /// <param name="prompt">At least one token id to start from.</param>
    /// <param name="count">How many tokens to generate.</param>
    /// <param name="temperature">Above 0: below 1 sharpens the distribution, above 1 flattens it.</param>
    /// <param name="topK">Draw only among the k most likely tokens; 0 = the whole vocabulary; 1 = greedy.</param>
    /// <param name="generator">Source of the draws.</param>
    public static int[] Generate(Gpt model, IReadOnlyList<int> prompt, int count, double temperature, int topK, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckSettings(temperature, topK);
        if (prompt.Count == 0)
        {
            throw new ArgumentException("sampler: the prompt needs at least one token", nameof(prompt));
        }

        foreach (int id in prompt)
        {
            if ((uint)id >= (uint)model.Config.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(prompt), id, $"sampler: prompt token {id} is not in the model's vocabulary of {model.Config.VocabSize}");
            }
        }

        var ids = new List<int>(prompt);

        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using IDisposable noGrad = Autograd.NoGrad();
            var context = new long[model.Config.BlockSize];
            for (int n = 0; n < count; n++)
            {
                using var scope = TensorScope.Begin();

                // The model has learned positions up to block_size only: it sees the latest window.
                int length = Math.Min(ids.Count, model.Config.BlockSize);
                for (int t = 0; t < length; t++)
                {
                    context[t] = ids[ids.Count - length + t];
                }

                using Tensor input = Tensor.From<long>(context.AsSpan(0, length), new Shape(1, length));
                Variable logits = model.Forward(input);
                using Tensor last = logits.Data.Select(1, length - 1);
                ids.Add(SampleNext(last.ToArray<float>(), temperature, topK, generator));
            }
        }
        finally
        {
            model.Train(wasTraining);
        }

        return [.. ids.GetRange(prompt.Count, count)];
    }

    /// <summary>One draw from the distribution that <paramref name="logits"/> define after temperature and top-k.</summary>
    /// <param name="logits">Unnormalised log-probabilities of every token (all finite).</param>
    /// <param name="temperature">Above 0.</param>
    /// <param name="topK">0 = all tokens; else only the k largest logits can be drawn (ties at the k-th value included, as nanoGPT).</param>
    /// <param name="generator">Source of the uniform draw.</param>
    public static int SampleNext(ReadOnlySpan<float> logits, double temperature, int topK, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        CheckSettings(temperature, topK);
        if (logits.IsEmpty)
        {
            throw new ArgumentException("sampler: no logits", nameof(logits));
        }

        // Everything below the k-th largest logit is excluded, which is nanoGPT's "logits < v[-1] = -inf".
        double threshold = double.NegativeInfinity;
        if (topK > 0 && topK < logits.Length)
        {
            float[] sorted = logits.ToArray();
            Array.Sort(sorted);
            threshold = sorted[^topK];
        }

        double max = double.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            if (!float.IsFinite(logits[i]))
            {
                throw new ArgumentException($"sampler: logit {i} is {logits[i]}", nameof(logits));
            }

            max = Math.Max(max, logits[i]);
        }

        // Softmax of logits / temperature, shifted by the maximum so exp never overflows.
        var weights = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            weights[i] = logits[i] >= threshold ? Math.Exp((logits[i] - max) / temperature) : 0;
            total += weights[i];
        }

        Span<double> uniform = stackalloc double[1];
        generator.FillUniform(uniform);
        double target = uniform[0] * total;
        double cumulative = 0;
        int lastCandidate = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                cumulative += weights[i];
                lastCandidate = i;
                if (target < cumulative)
                {
                    return i;
                }
            }
        }

        // Rounding can leave the running sum a hair below the total: the last candidate is then the draw.
        return lastCandidate;
    }

    /// <summary>Checks sampling settings as the command line takes them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Temperature not a finite number above 0, or top-k negative.</exception>
    public static void CheckSettings(double temperature, int topK)
    {
        if (!(double.IsFinite(temperature) && temperature > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "sampler: the temperature must be a finite number above 0 (use top-k 1 for greedy decoding)");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(topK);
    }
}
