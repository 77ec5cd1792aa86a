using Spamp.Functions;

namespace Spamp.Layers;

public static partial class Functional
{
    /// <summary>
    /// 2-d max pooling (torch.nn.functional.max_pool2d) of [N, C, H, W] (or [C, H, W]); the gradient goes
    /// to each window's maximum.
    /// </summary>
    /// <param name="input">NCHW input.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows; default (null) = kernelSize.</param>
    /// <param name="padding">Implicit -inf on both sides (at most half the kernel); default 0.</param>
    /// <param name="dilation">Spacing between window taps; default 1.</param>
    /// <param name="ceilMode">Round the output size up; default false.</param>
    public static Variable MaxPool2d(Variable input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false)
    {
        var (output, indices) = MaxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);
        indices.Dispose();
        return output;
    }

    /// <summary>Max pooling that also returns each output's flat index within its input plane (max_pool2d(..., return_indices=True)).</summary>
    public static (Variable Output, Tensor Indices) MaxPool2dWithIndices(Variable input, Size2 kernelSize, Size2? stride = null, Size2? padding = null,
        Size2? dilation = null, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 3)
        {
            var (output, indices) = MaxPool2dWithIndices(input.Unsqueeze(0), kernelSize, stride, padding, dilation, ceilMode);
            using (indices)
            {
                return (output.Squeeze(0), indices.Squeeze(0));
            }
        }

        Pool2dGeometry geometry = Pool2dGeometry.Resolve("max_pool2d", input.Shape, kernelSize, stride, padding ?? 0, dilation ?? 1, ceilMode);
        return MaxPool2dFunction.Apply(input, geometry);
    }

    /// <summary>
    /// 2-d average pooling (torch.nn.functional.avg_pool2d) of [N, C, H, W] (or [C, H, W]).
    /// </summary>
    /// <param name="input">NCHW input.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows; default (null) = kernelSize.</param>
    /// <param name="padding">Implicit zeros on both sides (at most half the kernel); default 0.</param>
    /// <param name="ceilMode">Round the output size up; default false.</param>
    /// <param name="countIncludePad">Count padding zeros in the divisor; default true.</param>
    /// <param name="divisorOverride">When set, the divisor of every window.</param>
    public static Variable AvgPool2d(Variable input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 3)
        {
            return AvgPool2d(input.Unsqueeze(0), kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride).Squeeze(0);
        }

        Pool2dGeometry geometry = Pool2dGeometry.Resolve("avg_pool2d", input.Shape, kernelSize, stride, padding ?? 0, 1, ceilMode);
        return AvgPool2dFunction.Apply(input, geometry, countIncludePad, divisorOverride);
    }

    /// <summary>Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d) of [N, C, H, W] (or [C, H, W]) to <paramref name="outputSize"/>.</summary>
    public static Variable AdaptiveAvgPool2d(Variable input, Size2 outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 3)
        {
            return AdaptiveAvgPool2d(input.Unsqueeze(0), outputSize).Squeeze(0);
        }

        Pool2dGeometry geometry = Pool2dGeometry.ResolveAdaptive("adaptive_avg_pool2d", input.Shape, outputSize);
        return AdaptiveAvgPool2dFunction.Apply(input, geometry);
    }
}
