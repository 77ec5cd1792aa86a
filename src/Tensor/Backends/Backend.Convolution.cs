using Spamp.Memory;

namespace Spamp.Backends;

public abstract partial class Backend
{
    // ---- convolution ---------------------------------------------------------------------------
    // All tensors are contiguous NCHW (weights OIHW) of one floating-point dtype; the geometry was
    // checked by the Tensor API. Each direction is its own kernel, so no backend composes a
    // convolution from small ops.

    /// <summary>
    /// output[n, o, y, x] = bias[o] + sum over (c in o's group, i, j) of
    /// weight[o, c, i, j] * input[n, c, y*sH - padTop + i*dH, x*sW - padLeft + j*dW] (zero outside).
    /// <paramref name="bias"/> may be null.
    /// </summary>
    public abstract void Conv2d(Storage input, Storage weight, Storage? bias, Storage output, in Conv2dGeometry geometry);

    /// <summary>The gradient of <see cref="Conv2d"/> with respect to its input (a transposed convolution of gradOutput); gradInput is overwritten.</summary>
    public abstract void Conv2dBackwardInput(Storage gradOutput, Storage weight, Storage gradInput, in Conv2dGeometry geometry);

    /// <summary>
    /// The gradient of <see cref="Conv2d"/> with respect to its weight, summed over the batch, and, when
    /// <paramref name="gradBias"/> is not null, with respect to its bias (gradOutput summed over batch and
    /// positions, while each image's gradient is in cache); both are overwritten.
    /// </summary>
    public abstract void Conv2dBackwardWeight(Storage input, Storage gradOutput, Storage gradWeight, Storage? gradBias, in Conv2dGeometry geometry);
}
