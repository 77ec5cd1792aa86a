namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// 2-d max pooling (torch.nn.functional.max_pool2d) of [N, C, H, W] (or [C, H, W]): the largest
    /// element of each window; padding is implicit -inf; NaN propagates.
    /// </summary>
    /// <param name="input">NCHW input.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows; default (null) = <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit -inf on both sides, at most half the kernel; default 0.</param>
    /// <param name="dilation">Spacing between window taps; default 1.</param>
    /// <param name="ceilMode">Round the output size up (a last partial window that starts inside the input is kept); default false.</param>
    public static Tensor MaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false)
    {
        var (values, indices) = MaxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);
        indices.Dispose();
        return values;
    }

    /// <summary>
    /// <see cref="MaxPool2d(Tensor, Size2, Size2?, Size2?, Size2?, bool)"/> that also returns, for every output
    /// element, the flat index y*W + x of the chosen element within its plane (Int64), as
    /// max_pool2d(..., return_indices=True).
    /// </summary>
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 3)
        {
            using Tensor batched = input.Unsqueeze(0);
            var (v, i) = MaxPool2dWithIndices(batched, kernelSize, stride, padding, dilation, ceilMode);
            using (v)
            using (i)
            {
                return (v.Squeeze(0), i.Squeeze(0));
            }
        }

        Pool2dGeometry geometry = Pool2dGeometry.Resolve("max_pool2d", input.Shape, kernelSize, stride, padding ?? 0, dilation ?? 1, ceilMode);
        return MaxPool2d(input, geometry);
    }

    /// <summary>Max pooling with a resolved <paramref name="geometry"/>: values and Int64 indices.</summary>
    public static (Tensor Values, Tensor Indices) MaxPool2d(Tensor input, in Pool2dGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckPoolOperand("max_pool2d", "input", input, geometry.InputShape);
        DType compute = ComputeType(input.DType);
        using Tensor x = input.ContiguousAs(compute);
        Tensor y = Empty(geometry.OutputShape, compute, input.Device);
        Tensor indices = Empty(geometry.OutputShape, DType.Int64, input.Device);
        input.Backend.MaxPool2d(x.Storage, y.Storage, indices.Storage, geometry);
        return (y.CastAndDispose(input.DType), indices);
    }

    /// <summary>The gradient of max pooling: each output gradient goes to the input element its index names.</summary>
    public static Tensor MaxPool2dBackward(Tensor gradOutput, Tensor indices, in Pool2dGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        ArgumentNullException.ThrowIfNull(indices);
        CheckPoolOperand("max_pool2d_backward", "gradOutput", gradOutput, geometry.OutputShape);
        if (indices.Shape != geometry.OutputShape || indices.DType != DType.Int64)
        {
            throw new ShapeMismatchException($"max_pool2d_backward: indices {indices.Shape} ({indices.DType.Name()}) must be int64 of shape {geometry.OutputShape}", nameof(indices));
        }

        CheckSameDevice("max_pool2d_backward", gradOutput, indices);
        DType compute = ComputeType(gradOutput.DType);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        using Tensor index = indices.ContiguousAs(DType.Int64);
        Tensor dx = Empty(geometry.InputShape, compute, gradOutput.Device);
        gradOutput.Backend.MaxPool2dBackward(dy.Storage, index.Storage, dx.Storage, geometry);
        return dx.CastAndDispose(gradOutput.DType);
    }

    /// <summary>
    /// 2-d average pooling (torch.nn.functional.avg_pool2d) of [N, C, H, W] (or [C, H, W]).
    /// </summary>
    /// <param name="input">NCHW input.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows; default (null) = <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit zeros on both sides, at most half the kernel; default 0.</param>
    /// <param name="ceilMode">Round the output size up; default false.</param>
    /// <param name="countIncludePad">Divide by the window size including padding (PyTorch's default, true) or only by the input elements in it.</param>
    /// <param name="divisorOverride">When set (positive), the divisor of every window.</param>
    public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 3)
        {
            using Tensor batched = input.Unsqueeze(0);
            using Tensor result = AvgPool2d(batched, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);
            return result.Squeeze(0);
        }

        Pool2dGeometry geometry = Pool2dGeometry.Resolve("avg_pool2d", input.Shape, kernelSize, stride, padding ?? 0, 1, ceilMode);
        return AvgPool2d(input, geometry, countIncludePad, divisorOverride);
    }

    /// <summary>Average pooling with a resolved <paramref name="geometry"/>.</summary>
    public static Tensor AvgPool2d(Tensor input, in Pool2dGeometry geometry, bool countIncludePad = true, int? divisorOverride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckPoolOperand("avg_pool2d", "input", input, geometry.InputShape);
        int divisor = CheckDivisor("avg_pool2d", divisorOverride);
        DType compute = ComputeType(input.DType);
        using Tensor x = input.ContiguousAs(compute);
        Tensor y = Empty(geometry.OutputShape, compute, input.Device);
        input.Backend.AvgPool2d(x.Storage, y.Storage, geometry, countIncludePad, divisor);
        return y.CastAndDispose(input.DType);
    }

    /// <summary>The gradient of average pooling with respect to its input.</summary>
    public static Tensor AvgPool2dBackward(Tensor gradOutput, in Pool2dGeometry geometry, bool countIncludePad = true, int? divisorOverride = null)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        CheckPoolOperand("avg_pool2d_backward", "gradOutput", gradOutput, geometry.OutputShape);
        int divisor = CheckDivisor("avg_pool2d_backward", divisorOverride);
        DType compute = ComputeType(gradOutput.DType);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        Tensor dx = Empty(geometry.InputShape, compute, gradOutput.Device);
        gradOutput.Backend.AvgPool2dBackward(dy.Storage, dx.Storage, geometry, countIncludePad, divisor);
        return dx.CastAndDispose(gradOutput.DType);
    }

    /// <summary>
    /// Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d) of [N, C, H, W] (or [C, H, W])
    /// to [N, C, outputSize]: output (y, x) averages rows [floor(y*H/OH), ceil((y+1)*H/OH)) and the
    /// matching columns.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Size2 outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 3)
        {
            using Tensor batched = input.Unsqueeze(0);
            using Tensor result = AdaptiveAvgPool2d(batched, outputSize);
            return result.Squeeze(0);
        }

        Pool2dGeometry geometry = Pool2dGeometry.ResolveAdaptive("adaptive_avg_pool2d", input.Shape, outputSize);
        return AdaptiveAvgPool2d(input, geometry);
    }

    /// <summary>Adaptive average pooling with a resolved <paramref name="geometry"/>.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, in Pool2dGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckPoolOperand("adaptive_avg_pool2d", "input", input, geometry.InputShape);
        DType compute = ComputeType(input.DType);
        using Tensor x = input.ContiguousAs(compute);
        Tensor y = Empty(geometry.OutputShape, compute, input.Device);
        input.Backend.AdaptiveAvgPool2d(x.Storage, y.Storage, geometry);
        return y.CastAndDispose(input.DType);
    }

    /// <summary>The gradient of adaptive average pooling with respect to its input.</summary>
    public static Tensor AdaptiveAvgPool2dBackward(Tensor gradOutput, in Pool2dGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        CheckPoolOperand("adaptive_avg_pool2d_backward", "gradOutput", gradOutput, geometry.OutputShape);
        DType compute = ComputeType(gradOutput.DType);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        Tensor dx = Empty(geometry.InputShape, compute, gradOutput.Device);
        gradOutput.Backend.AdaptiveAvgPool2dBackward(dy.Storage, dx.Storage, geometry);
        return dx.CastAndDispose(gradOutput.DType);
    }

    private static void CheckPoolOperand(string op, string name, Tensor tensor, Shape expected)
    {
        if (tensor.Shape != expected)
        {
            throw new ShapeMismatchException($"{op}: {name} has shape {tensor.Shape} but the pooling needs {expected}", name);
        }

        if (!tensor.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{op}: {name} {tensor.Shape} is {tensor.DType.Name()}; pooling needs a floating-point type", name);
        }
    }

    private static int CheckDivisor(string op, int? divisorOverride)
    {
        if (divisorOverride is { } d && d <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(divisorOverride), d, $"{op}: divisor_override must be positive, got {d}");
        }

        return divisorOverride ?? 0;
    }
}
