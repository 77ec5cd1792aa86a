using Spamp.Memory;

namespace Spamp.Backends;

public abstract partial class Backend
{
    // ---- normalisation -------------------------------------------------------------------------

    /// <summary>
    /// Layer norm (or RMS norm when <paramref name="rms"/>) over each row of a contiguous
    /// [rows, cols] <paramref name="x"/>: y = (x - mean) * rstd * weight + bias, with
    /// rstd = 1 / sqrt(var + eps) and the biased variance; RMS norm uses no mean and
    /// rstd = 1 / sqrt(mean(x^2) + eps). <paramref name="weight"/> and <paramref name="bias"/> are
    /// [cols] or null. Saves per-row <paramref name="mean"/> (null for RMS) and
    /// <paramref name="rstd"/> [rows] for the backward. Float32 or float64, all one dtype.
    /// </summary>
    public abstract void LayerNorm(Storage x, int rows, int cols, Storage? weight, Storage? bias, double eps, bool rms,
        Storage y, Storage? mean, Storage rstd);

    /// <summary>
    /// The gradients of <see cref="LayerNorm"/> from the saved statistics: with
    /// xhat = (x - mean) * rstd and g = dy * weight, dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
    /// (RMS: no mean(g) term), dweight = sum over rows of dy * xhat, dbias = sum over rows of dy.
    /// Each gradient output is written only when not null (dst storages, contiguous).
    /// </summary>
    public abstract void LayerNormBackward(Storage x, Storage gradOutput, Storage? mean, Storage rstd, Storage? weight,
        int rows, int cols, bool rms, Storage? gradInput, Storage? gradWeight, Storage? gradBias);

    /// <summary>
    /// Group norm over a contiguous [batch, channels, spatial] <paramref name="x"/>: the channels split
    /// into <paramref name="groups"/> equal groups, and each (sample, group) is normalised over its
    /// channels * spatial elements; the affine <paramref name="weight"/> and <paramref name="bias"/>
    /// are per channel ([channels] or null). Saves <paramref name="mean"/> and <paramref name="rstd"/>
    /// [batch * groups].
    /// </summary>
    public abstract void GroupNorm(Storage x, int batch, int channels, int spatial, int groups, Storage? weight, Storage? bias,
        double eps, Storage y, Storage mean, Storage rstd);

    /// <summary>The gradients of <see cref="GroupNorm"/> (each written only when not null).</summary>
    public abstract void GroupNormBackward(Storage x, Storage gradOutput, Storage mean, Storage rstd, Storage? weight,
        int batch, int channels, int spatial, int groups, Storage? gradInput, Storage? gradWeight, Storage? gradBias);
}
