using Spamp.Functions;

namespace Spamp.Layers;

public static partial class Functional
{
    /// <summary>
    /// 2-d convolution (torch.nn.functional.conv2d) of an [N, C_in, H, W] (or [C_in, H, W]) input with
    /// [C_out, C_in/groups, kH, kW] filters and an optional [C_out] bias; differentiable in all three.
    /// </summary>
    /// <param name="input">NCHW input.</param>
    /// <param name="weight">OIHW filters.</param>
    /// <param name="bias">[C_out] or null.</param>
    /// <param name="stride">Step between output positions; default 1.</param>
    /// <param name="padding">An int or (h, w) of zeros on both sides, or <see cref="ConvPadding.Same"/> / <see cref="ConvPadding.Valid"/>; default 0.</param>
    /// <param name="dilation">Spacing between kernel taps; default 1.</param>
    /// <param name="groups">Independent channel groups; default 1.</param>
    public static Variable Conv2d(Variable input, Variable weight, Variable? bias = null, Size2? stride = null, ConvPadding? padding = null,
        Size2? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 3)
        {
            return Conv2d(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups).Squeeze(0);
        }

        Conv2dGeometry geometry = Conv2dGeometry.Resolve("conv2d", input.Shape, weight.Shape, stride ?? 1, padding ?? 0, dilation ?? 1, groups);
        return Conv2dFunction.Apply(input, weight, bias, geometry);
    }

    /// <summary>
    /// 1-d convolution (torch.nn.functional.conv1d) of [N, C_in, L] (or [C_in, L]) with [C_out, C_in/groups, k]
    /// filters, computed by the 2-d kernels with height 1.
    /// </summary>
    /// <param name="input">[N, C_in, L] input.</param>
    /// <param name="weight">[C_out, C_in/groups, k] filters.</param>
    /// <param name="bias">[C_out] or null.</param>
    /// <param name="stride">Step between outputs; default 1.</param>
    /// <param name="padding">An int of zeros on both ends, or <see cref="ConvPadding.Same"/> / <see cref="ConvPadding.Valid"/>; default 0.</param>
    /// <param name="dilation">Spacing between taps; default 1.</param>
    /// <param name="groups">Independent channel groups; default 1.</param>
    public static Variable Conv1d(Variable input, Variable weight, Variable? bias = null, int stride = 1, ConvPadding? padding = null,
        int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 2)
        {
            return Conv1d(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups).Squeeze(0);
        }

        Conv2dGeometry geometry = Conv2dGeometry.ResolveConv1d("conv1d", input.Shape, weight.Shape, stride, padding ?? 0, dilation, groups);
        return Conv2dFunction.Apply(input.Unsqueeze(2), weight.Unsqueeze(2), bias, geometry).Squeeze(2);
    }
}
