namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// Batch normalisation (torch.nn.functional.batch_norm) of an [N, C, *] <paramref name="input"/> over
    /// every dimension but the channel one: y = (x - mean) / sqrt(var + eps) * weight + bias.
    /// <para>
    /// When <paramref name="training"/>, mean and (biased) variance are the batch's, and
    /// <paramref name="runningMean"/> / <paramref name="runningVar"/> (when given) are updated in place:
    /// running = (1 - momentum) * running + momentum * statistic, with the unbiased variance. Otherwise
    /// the running statistics normalise (both are then required).
    /// </para>
    /// </summary>
    /// <returns>The output, and the per-channel mean and 1/sqrt(var + eps) that were used (for <see cref="BatchNormBackward"/>).</returns>
    /// <exception cref="ShapeMismatchException">A per-channel tensor is not [C], or training sees a single value per channel.</exception>
    public static (Tensor Output, Tensor SaveMean, Tensor SaveInvstd) BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar,
        Tensor? weight, Tensor? bias, bool training, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (batch, channels, spatial) = BatchNormDims("batch_norm", input);
        CheckChannelVector("batch_norm", "running_mean", runningMean, input, channels);
        CheckChannelVector("batch_norm", "running_var", runningVar, input, channels);
        CheckChannelVector("batch_norm", "weight", weight, input, channels);
        CheckChannelVector("batch_norm", "bias", bias, input, channels);
        if (training && (long)batch * spatial <= 1)
        {
            throw new ShapeMismatchException($"batch_norm: expected more than 1 value per channel when training, got input {input.Shape}", nameof(input));
        }

        if (!training && (runningMean is null || runningVar is null))
        {
            throw new ArgumentException($"batch_norm: running_mean and running_var must be given in evaluation mode (input {input.Shape})", nameof(runningMean));
        }

        DType compute = ComputeType(input.DType);
        using Tensor x = input.ContiguousAs(compute);
        using Tensor? w = weight?.ContiguousAs(compute);
        using Tensor? b = bias?.ContiguousAs(compute);
        using Tensor? rm = runningMean?.ContiguousAs(compute);
        using Tensor? rv = runningVar?.ContiguousAs(compute);
        Tensor y = Empty(input.Shape, compute, input.Device);
        Tensor mean = Empty(new Shape(channels), compute, input.Device);
        Tensor invstd = Empty(new Shape(channels), compute, input.Device);
        input.Backend.BatchNorm(x.Storage, batch, channels, spatial, w?.Storage, b?.Storage, rm?.Storage, rv?.Storage,
            training, momentum, eps, y.Storage, mean.Storage, invstd.Storage);

        // The statistics were updated in place unless they had to be copied (another dtype, strided).
        if (training && runningMean is not null && !ReferenceEquals(rm!.Storage, runningMean.Storage))
        {
            runningMean.CopyFrom(rm);
        }

        if (training && runningVar is not null && !ReferenceEquals(rv!.Storage, runningVar.Storage))
        {
            runningVar.CopyFrom(rv);
        }

        return (y.CastAndDispose(input.DType), mean, invstd);
    }

    /// <summary>
    /// The gradients of <see cref="BatchNorm"/> with respect to input, weight and bias (each computed
    /// only when asked for), from the saved mean and invstd. <paramref name="training"/> must be the
    /// forward's: only batch statistics depend on the input.
    /// </summary>
    public static (Tensor? GradInput, Tensor? GradWeight, Tensor? GradBias) BatchNormBackward(Tensor input, Tensor gradOutput, Tensor saveMean,
        Tensor saveInvstd, Tensor? weight, bool training, bool inputGrad = true, bool weightGrad = true, bool biasGrad = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(gradOutput);
        ArgumentNullException.ThrowIfNull(saveMean);
        ArgumentNullException.ThrowIfNull(saveInvstd);
        var (batch, channels, spatial) = BatchNormDims("batch_norm_backward", input);
        if (gradOutput.Shape != input.Shape)
        {
            throw new ShapeMismatchException($"batch_norm_backward: gradOutput {gradOutput.Shape} must have the input's shape {input.Shape}", nameof(gradOutput));
        }

        CheckSameDevice("batch_norm_backward", input, gradOutput);
        CheckChannelVector("batch_norm_backward", "save_mean", saveMean, input, channels);
        CheckChannelVector("batch_norm_backward", "save_invstd", saveInvstd, input, channels);
        CheckChannelVector("batch_norm_backward", "weight", weight, input, channels);
        DType compute = ComputeType(input.DType);
        using Tensor x = input.ContiguousAs(compute);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        using Tensor mean = saveMean.ContiguousAs(compute);
        using Tensor invstd = saveInvstd.ContiguousAs(compute);
        using Tensor? w = weight?.ContiguousAs(compute);
        Tensor? dx = inputGrad ? Empty(input.Shape, compute, input.Device) : null;
        Tensor? dw = weightGrad ? Empty(new Shape(channels), compute, input.Device) : null;
        Tensor? db = biasGrad ? Empty(new Shape(channels), compute, input.Device) : null;
        input.Backend.BatchNormBackward(x.Storage, dy.Storage, mean.Storage, invstd.Storage, w?.Storage, batch, channels, spatial, training,
            dx?.Storage, dw?.Storage, db?.Storage);
        return (dx?.CastAndDispose(input.DType), dw?.CastAndDispose(input.DType), db?.CastAndDispose(input.DType));
    }

    /// <summary>[N, C, *] seen as (N, C, prod(*)).</summary>
    private static (int Batch, int Channels, int Spatial) BatchNormDims(string op, Tensor input)
    {
        if (input.Rank < 2)
        {
            throw new ShapeMismatchException($"{op}: input {input.Shape} must be [N, C, *] (rank 2 or more)", nameof(input));
        }

        if (!input.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{op}: input {input.Shape} is {input.DType.Name()}; batch norm needs a floating-point type", nameof(input));
        }

        int spatial = 1;
        for (int i = 2; i < input.Rank; i++)
        {
            spatial *= input.Shape[i];
        }

        return (input.Shape[0], input.Shape[1], spatial);
    }

    private static void CheckChannelVector(string op, string name, Tensor? vector, Tensor input, int channels)
    {
        if (vector is null)
        {
            return;
        }

        if (vector.Rank != 1 || vector.Shape[0] != channels)
        {
            throw new ShapeMismatchException($"{op}: {name} {vector.Shape} must be [{channels}], the channels of input {input.Shape}", name);
        }

        CheckSameDevice(op, input, vector);
        if (!vector.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{op}: {name} {vector.Shape} is {vector.DType.Name()}; it must be floating point", name);
        }
    }
}
