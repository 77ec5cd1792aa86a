using Spamp.Memory;

namespace Spamp.Backends;

public abstract partial class Backend
{
    // ---- losses --------------------------------------------------------------------------------

    /// <summary>
    /// Fused log-softmax + negative log-likelihood with label smoothing, per sample. Logits are a
    /// contiguous [outer, classes, inner] tensor (sample (o, i) reads classes at stride inner);
    /// <paramref name="target"/> is contiguous Int64 [outer * inner], every entry either
    /// <paramref name="ignoreIndex"/> or in [0, classes) (the API checked). With weights w (or 1),
    /// t the target, e the smoothing and lse the log-sum-exp of the sample's logits:
    /// loss = w[t] (1 - e) (lse - x[t]) + (e / classes) sum_c w[c] (lse - x[c]), and 0 for an ignored
    /// sample. Writes <paramref name="loss"/>, <paramref name="logSumExp"/> (saved for backward) and
    /// <paramref name="sampleWeight"/> (w[t], 0 when ignored: the divisor of a mean), all [outer * inner].
    /// </summary>
    public abstract void CrossEntropy(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage loss, Storage logSumExp, Storage sampleWeight);

    /// <summary>
    /// The gradient of <see cref="CrossEntropy"/> with respect to the logits in one pass, from the saved
    /// log-sum-exp and the per-sample upstream gradient gl: with p = softmax(x),
    /// dx[c] = gl (w[t] (1 - e) (p[c] - [c = t]) + (e / classes) (W p[c] - w[c])), W = sum w, and 0
    /// for ignored samples. <paramref name="gradLogits"/> is contiguous [outer, classes, inner].
    /// </summary>
    public abstract void CrossEntropyBackward(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage logSumExp, Storage gradLoss, Storage gradLogits);
}
