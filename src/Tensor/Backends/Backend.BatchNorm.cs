using Spamp.Memory;

namespace Spamp.Backends;

public abstract partial class Backend
{
    // ---- batch normalisation -------------------------------------------------------------------
    // x is a contiguous [batch, channels, spatial] tensor; every per-channel vector is [channels].

    /// <summary>
    /// Batch norm forward. When <paramref name="training"/>, each channel is normalised with the mean
    /// and biased variance of its batch * spatial elements, and the running statistics (when not null)
    /// are updated in place: running = (1 - momentum) * running + momentum * batch statistic, with the
    /// unbiased variance. Otherwise the running statistics normalise. Then
    /// y = (x - mean) * invstd * weight + bias (weight, bias optional). The mean and invstd used are
    /// written to <paramref name="saveMean"/> and <paramref name="saveInvstd"/> for the backward.
    /// </summary>
    public abstract void BatchNorm(Storage x, int batch, int channels, int spatial, Storage? weight, Storage? bias,
        Storage? runningMean, Storage? runningVar, bool training, double momentum, double eps,
        Storage y, Storage saveMean, Storage saveInvstd);

    /// <summary>
    /// The gradients of <see cref="BatchNorm"/> from the saved mean and invstd: with xhat = (x - mean) * invstd,
    /// training: dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) (batch statistics depend on x);
    /// evaluation: dx = weight * invstd * dy; dweight = sum dy * xhat, dbias = sum dy. Each output is
    /// written only when not null.
    /// </summary>
    public abstract void BatchNormBackward(Storage x, Storage gradOutput, Storage saveMean, Storage saveInvstd, Storage? weight,
        int batch, int channels, int spatial, bool training, Storage? gradInput, Storage? gradWeight, Storage? gradBias);
}
