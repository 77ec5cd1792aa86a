using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// Batch norm (Kernels/norm2d.cl): one work-group per channel computes the channel's statistics with
/// compensated tree sums, updates the running statistics, and normalises the channel, all in one
/// launch; the backward's two sums and its input gradient are likewise one launch.
/// </summary>
public abstract partial class GpuBackend
{
    /// <inheritdoc/>
    public override void BatchNorm(Storage x, int batch, int channels, int spatial, Storage? weight, Storage? bias,
        Storage? runningMean, Storage? runningVar, bool training, double momentum, double eps,
        Storage y, Storage saveMean, Storage saveInvstd)
    {
        if (channels == 0)
        {
            return;
        }

        int local = GroupFor(batch * spatial);
        lock (Gate)
        {
            // An absent optional tensor is passed as x with its flag off; the kernel never touches it.
            var kernel = Kernel("norm2d", y.DType, "batch_norm").Begin()
                .Buffer(x).Value(batch).Value(channels).Value(spatial)
                .Buffer(weight ?? x).Value(weight is null ? 0 : 1).Buffer(bias ?? x).Value(bias is null ? 0 : 1)
                .Buffer(runningMean ?? x).Value(runningMean is null ? 0 : 1).Buffer(runningVar ?? x).Value(runningVar is null ? 0 : 1)
                .Value(training ? 1 : 0);
            Scalar(kernel, momentum);
            Scalar(kernel, eps);
            kernel.Buffer(y).Buffer(saveMean).Buffer(saveInvstd).Launch1D((long)channels * local, local);
        }
    }

    /// <inheritdoc/>
    public override void BatchNormBackward(Storage x, Storage gradOutput, Storage saveMean, Storage saveInvstd, Storage? weight,
        int batch, int channels, int spatial, bool training, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
    {
        if (channels == 0 || (gradInput is null && gradWeight is null && gradBias is null))
        {
            return;
        }

        int local = GroupFor(batch * spatial);
        lock (Gate)
        {
            Kernel("norm2d", x.DType, "batch_norm_backward").Begin()
                .Buffer(x).Buffer(gradOutput).Buffer(saveMean).Buffer(saveInvstd)
                .Buffer(weight ?? x).Value(weight is null ? 0 : 1).Value(batch).Value(channels).Value(spatial).Value(training ? 1 : 0)
                .Buffer(gradInput ?? x).Value(gradInput is null ? 0 : 1)
                .Buffer(gradWeight ?? x).Value(gradWeight is null ? 0 : 1)
                .Buffer(gradBias ?? x).Value(gradBias is null ? 0 : 1)
                .Launch1D((long)channels * local, local);
        }
    }
}
