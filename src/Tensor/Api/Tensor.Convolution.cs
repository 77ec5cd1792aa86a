namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// 2-d convolution (torch.nn.functional.conv2d; strictly a cross-correlation, as in PyTorch) of an
    /// [N, C_in, H, W] (or unbatched [C_in, H, W]) <paramref name="input"/> with an
    /// [C_out, C_in/groups, kH, kW] <paramref name="weight"/> and an optional [C_out] <paramref name="bias"/>.
    /// </summary>
    /// <param name="input">NCHW input.</param>
    /// <param name="weight">OIHW filters.</param>
    /// <param name="bias">Per-output-channel bias, or null.</param>
    /// <param name="stride">Step between output positions; default 1.</param>
    /// <param name="padding">Zeros added on both sides (int or (h, w)), or <see cref="ConvPadding.Same"/> / <see cref="ConvPadding.Valid"/>; default 0.</param>
    /// <param name="dilation">Spacing between kernel taps; default 1.</param>
    /// <param name="groups">Channel groups: input and output channels split into this many independent convolutions; default 1.</param>
    /// <returns>[N, C_out, H_out, W_out] with H_out = (H + padTop + padBottom - dilation*(kH-1) - 1) / stride + 1.</returns>
    /// <exception cref="ShapeMismatchException">Channel counts do not match the weight, groups do not divide the channels, or the kernel is larger than the padded input.</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, ConvPadding? padding = null, Size2? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 3)
        {
            // PyTorch accepts one unbatched image.
            using Tensor batched = input.Unsqueeze(0);
            using Tensor result = Conv2d(batched, weight, bias, stride, padding, dilation, groups);
            return result.Squeeze(0);
        }

        Conv2dGeometry geometry = Conv2dGeometry.Resolve("conv2d", input.Shape, weight.Shape, stride ?? 1, padding ?? 0, dilation ?? 1, groups);
        return Conv2d(input, weight, bias, geometry);
    }

    /// <summary>
    /// 1-d convolution (torch.nn.functional.conv1d) of [N, C_in, L] (or [C_in, L]) with [C_out, C_in/groups, k]:
    /// runs as a 2-d convolution of height 1. <paramref name="padding"/> is an int or 'same'/'valid'.
    /// </summary>
    /// <param name="input">[N, C_in, L] input.</param>
    /// <param name="weight">[C_out, C_in/groups, k] filters.</param>
    /// <param name="bias">[C_out] or null.</param>
    /// <param name="stride">Step between outputs; default 1.</param>
    /// <param name="padding">Zeros on both ends, or <see cref="ConvPadding.Same"/> / <see cref="ConvPadding.Valid"/>; default 0.</param>
    /// <param name="dilation">Spacing between taps; default 1.</param>
    /// <param name="groups">Channel groups; default 1.</param>
    /// <returns>[N, C_out, L_out].</returns>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding? padding = null, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 2)
        {
            using Tensor batched = input.Unsqueeze(0);
            using Tensor result = Conv1d(batched, weight, bias, stride, padding, dilation, groups);
            return result.Squeeze(0);
        }

        Conv2dGeometry geometry = Conv2dGeometry.ResolveConv1d("conv1d", input.Shape, weight.Shape, stride, padding ?? 0, dilation, groups);
        using Tensor x = input.Unsqueeze(2);
        using Tensor w = weight.Unsqueeze(2);
        using Tensor y = Conv2d(x, w, bias, geometry);
        return y.Squeeze(2);
    }

    /// <summary>
    /// The convolution described by a resolved <paramref name="geometry"/> (from <see cref="Conv2dGeometry.Resolve"/>);
    /// the shapes of <paramref name="input"/>, <paramref name="weight"/> and <paramref name="bias"/> must be the geometry's.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, in Conv2dGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        CheckConvOperand("conv2d", "input", input, geometry.InputShape, input);
        CheckConvOperand("conv2d", "weight", weight, geometry.WeightShape, input);
        if (bias is not null)
        {
            CheckConvOperand("conv2d", "bias", bias, new Shape(geometry.OutChannels), input);
        }

        DType compute = ComputeType(input.DType);
        using Tensor x = input.ContiguousAs(compute);
        using Tensor w = weight.ContiguousAs(compute);
        using Tensor? b = bias?.ContiguousAs(compute);
        Tensor y = Empty(geometry.OutputShape, compute, input.Device);
        input.Backend.Conv2d(x.Storage, w.Storage, b?.Storage, y.Storage, geometry);
        return y.CastAndDispose(input.DType);
    }

    /// <summary>
    /// The gradient of <see cref="Conv2d(Tensor, Tensor, Tensor?, in Conv2dGeometry)"/> with respect to its input,
    /// from the gradient of its output ([N, C_out, H_out, W_out]) and the weight.
    /// </summary>
    public static Tensor Conv2dBackwardInput(Tensor gradOutput, Tensor weight, in Conv2dGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        ArgumentNullException.ThrowIfNull(weight);
        CheckConvOperand("conv2d_backward_input", "gradOutput", gradOutput, geometry.OutputShape, gradOutput);
        CheckConvOperand("conv2d_backward_input", "weight", weight, geometry.WeightShape, gradOutput);
        DType compute = ComputeType(gradOutput.DType);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        using Tensor w = weight.ContiguousAs(compute);
        Tensor dx = Empty(geometry.InputShape, compute, gradOutput.Device);
        gradOutput.Backend.Conv2dBackwardInput(dy.Storage, w.Storage, dx.Storage, geometry);
        return dx.CastAndDispose(gradOutput.DType);
    }

    /// <summary>
    /// The gradient of <see cref="Conv2d(Tensor, Tensor, Tensor?, in Conv2dGeometry)"/> with respect to its weight
    /// (summed over the batch), from the input and the gradient of the output.
    /// </summary>
    public static Tensor Conv2dBackwardWeight(Tensor input, Tensor gradOutput, in Conv2dGeometry geometry) =>
        Conv2dBackwardParameters(input, gradOutput, geometry, withBias: false).GradWeight;

    /// <summary>
    /// The gradients of <see cref="Conv2d(Tensor, Tensor, Tensor?, in Conv2dGeometry)"/> with respect to its weight
    /// and, when <paramref name="withBias"/>, its bias (gradOutput summed over batch and positions), in one
    /// pass over the batch.
    /// </summary>
    public static (Tensor GradWeight, Tensor? GradBias) Conv2dBackwardParameters(Tensor input, Tensor gradOutput, in Conv2dGeometry geometry, bool withBias)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(gradOutput);
        CheckConvOperand("conv2d_backward_weight", "input", input, geometry.InputShape, input);
        CheckConvOperand("conv2d_backward_weight", "gradOutput", gradOutput, geometry.OutputShape, input);
        DType compute = ComputeType(input.DType);
        using Tensor x = input.ContiguousAs(compute);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        Tensor dw = Empty(geometry.WeightShape, compute, input.Device);
        Tensor? db = withBias ? Empty(new Shape(geometry.OutChannels), compute, input.Device) : null;
        input.Backend.Conv2dBackwardWeight(x.Storage, dy.Storage, dw.Storage, db?.Storage, geometry);
        return (dw.CastAndDispose(input.DType), db?.CastAndDispose(input.DType));
    }

    /// <summary>Checks one convolution operand against its expected shape, the first operand's dtype and device, and that it is floating point.</summary>
    private static void CheckConvOperand(string op, string name, Tensor tensor, Shape expected, Tensor first)
    {
        if (tensor.Shape != expected)
        {
            throw new ShapeMismatchException($"{op}: {name} has shape {tensor.Shape} but the convolution needs {expected}", name);
        }

        CheckSameDevice(op, first, tensor);
        if (!tensor.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{op}: {name} {tensor.Shape} is {tensor.DType.Name()}; convolution needs a floating-point type", name);
        }

        if (tensor.DType != first.DType)
        {
            throw new DTypeMismatchException($"{op}: {name} {tensor.Shape} is {tensor.DType.Name()} but the other operand is {first.DType.Name()}; convert one with To()", name);
        }
    }
}
