using Spamp.Memory;

namespace Spamp.Backends;

/// <summary>
/// The element-wise function of entry-wise shrinkage (ALGORITHMS.md 9.4, [UNVERIFIED-002]):
/// with <c>z = y/s</c> for a per-tensor scale <c>s</c> and a knee <c>k</c>.
/// </summary>
public enum ShrinkFunction
{
    /// <summary><c>y / (1 + exp((z^2 - k^2)/2))</c>, 0 when the exponent exceeds 80 (the Gaussian-prior surrogate of 9.3).</summary>
    GaussGate,
    /// <summary><c>clamp(y, -k s, k s)</c>.</summary>
    HardClamp,
    /// <summary><c>y / sqrt(1 + (z/k)^2)</c> (monotone, bounded by <c>k s</c>).</summary>
    SoftClip,
    /// <summary><c>y / (1 + (z/k)^2)</c> (redescending, maximum <c>k s / 2</c> at <c>|z| = k</c>).</summary>
    CauchyScore,
}

/// <summary>The gradient-shaping family of the optimizer kernels (SPAMP, value clamp, SPAM, Stable-SPAM, shrinkage).</summary>
public abstract partial class OptimizerKernels
{
    /// <summary>
    /// SPAMP power shaping in place (ALGORITHMS.md 1.2 A4, 1.3 step 5):
    /// <c>v_i = sign(v_i) * (|v_i| * inverseScale)^alpha</c>, with <c>pow(0, a) = 0</c>. Returns the
    /// sum of squares of the results in double, so the caller can renormalise with one scale pass
    /// and no second norm pass.
    /// </summary>
    public abstract double PowerShape(Storage values, int count, double inverseScale, double alpha);

    /// <summary>sum of |v_i|^p in double, for p-norms other than 2 and infinity (ALGORITHMS.md 2.1 step 3); NaN propagates.</summary>
    public abstract double PowerSum(Storage values, int count, double p);

    /// <summary>Clamps every entry to <c>[-limit, limit]</c> in place; NaN stays NaN (PyTorch's clip_grad_value_, ALGORITHMS.md 2.1).</summary>
    public abstract void ClampValue(Storage values, int count, double limit);

    /// <summary>
    /// SPAM spike clipping in place (ALGORITHMS.md 6.4 step 2.4): where <c>g_i^2 > theta * v_i</c>,
    /// <c>g_i = sign(g_i) * sqrt(theta * v_i)</c>. <paramref name="secondMoment"/> has the gradient's
    /// dtype. Returns the number of clipped entries.
    /// </summary>
    public abstract int SpikeClip(Storage gradient, Storage secondMoment, int count, double theta);

    /// <summary>
    /// Stable-SPAM AdaClip in place (ALGORITHMS.md 7a step 2.4): entries with <c>|g_i| > threshold</c>
    /// are multiplied by <paramref name="factor"/> (<c>That/gmax</c>); the others are untouched. Returns
    /// the number of rescaled entries.
    /// </summary>
    public abstract int AdaClip(Storage values, int count, double threshold, double factor);

    /// <summary>Entry-wise shrinkage in place (ALGORITHMS.md 9.4 step 4) with scale <paramref name="scale"/> and knee <paramref name="k"/>.</summary>
    public abstract void Shrink(Storage values, int count, ShrinkFunction function, double scale, double k);

    /// <summary>
    /// The median of <c>|v_i|</c> over the finite, non-zero entries (ALGORITHMS.md 9.4 steps 2-3), by
    /// QuickSelect on a pooled scratch copy (the mean of the two middle values for an even count).
    /// With <paramref name="sampleCap"/> &gt; 0 only entries at a deterministic stride are read, at most
    /// that many. <paramref name="nonZero"/> receives how many values the median was taken over;
    /// the median is 0 when there are none.
    /// </summary>
    public abstract double MedianAbsNonZero(Storage values, int count, int sampleCap, out int nonZero);

    /// <summary>
    /// The moment half of the Adam-type steps of SPAM and Stable-SPAM (ALGORITHMS.md 6.4 steps 5-6,
    /// 7a steps 8-9): <c>m = b1 m + (1-b1) g</c>, <c>v = b2 v + (1-b2) g^2</c> (with <paramref name="vmax"/>:
    /// <c>vmax = max(vmax, v)</c>, used below). Returns <c>||stepSize m/(sqrt(v) denomScale + eps)||^2</c>,
    /// the squared norm of the proposed update, so update filters need no extra pass.
    /// </summary>
    public abstract double SpamMoments(Storage gradient, Storage m, Storage v, Storage? vmax, int count, double beta1, double beta2, double stepSize, double denomScale, double eps);

    /// <summary>The update half: <c>p -= stepSize m/(sqrt(v) denomScale + eps)</c> (pass vmax as <paramref name="v"/> for AMSGrad).</summary>
    public abstract void SpamApplyUpdate(Storage parameter, Storage m, Storage v, int count, double stepSize, double denomScale, double eps);
}
