using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// Group norm (Kernels/norm2d.cl): one work-group per (sample, group) row, which is contiguous,
/// computes the row's statistics with compensated tree sums and normalises it in one launch. The
/// backward first sums dy and dy * x per (sample, channel) plane, in SCALAR precision; the input
/// gradient (per row) and the affine gradients (per channel, over the batch) are both made of those
/// sums, so neither needs atomics.
/// </summary>
public abstract partial class GpuBackend
{
    /// <inheritdoc/>
    public override void GroupNorm(Storage x, int batch, int channels, int spatial, int groups, Storage? weight, Storage? bias,
        double eps, Storage y, Storage mean, Storage rstd)
    {
        int rows = batch * groups;
        if (rows == 0)
        {
            return;
        }

        int local = GroupFor(channels / groups * spatial);
        lock (Gate)
        {
            // An absent optional tensor is passed as x with its flag off; the kernel never touches it.
            var kernel = Kernel("norm2d", x.DType, "group_norm").Begin()
                .Buffer(x).Value(channels).Value(spatial).Value(groups)
                .Buffer(weight ?? x).Value(weight is null ? 0 : 1).Buffer(bias ?? x).Value(bias is null ? 0 : 1);
            Scalar(kernel, eps);
            kernel.Buffer(y).Buffer(mean).Buffer(rstd).Launch1D((long)rows * local, local);
        }
    }

    /// <inheritdoc/>
    public override void GroupNormBackward(Storage x, Storage gradOutput, Storage mean, Storage rstd, Storage? weight,
        int batch, int channels, int spatial, int groups, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
    {
        int planes = batch * channels;
        if (channels == 0 || (gradInput is null && gradWeight is null && gradBias is null))
        {
            return;
        }

        // sums[plane] = sum dy, sums[planes + plane] = sum dy * x, in the kernels' SCALAR type.
        Storage sums = Storage.Allocate(this, SupportsFloat64 ? DType.Float64 : DType.Float32, Math.Max(2 * planes, 1));
        try
        {
            lock (Gate)
            {
                if (planes > 0)
                {
                    int local = GroupFor(spatial);
                    Kernel("norm2d", x.DType, "group_norm_backward_sums").Begin()
                        .Buffer(x).Buffer(gradOutput).Value(spatial).Value(planes).Buffer(sums)
                        .Launch1D((long)planes * local, local);
                }

                if (gradInput is not null && planes > 0)
                {
                    int local = GroupFor(channels / groups * spatial);
                    Kernel("norm2d", x.DType, "group_norm_backward_input").Begin()
                        .Buffer(x).Buffer(gradOutput).Buffer(mean).Buffer(rstd).Buffer(weight ?? x).Value(weight is null ? 0 : 1)
                        .Value(channels).Value(spatial).Value(groups).Value(planes).Buffer(sums).Buffer(gradInput)
                        .Launch1D((long)batch * groups * local, local);
                }

                if (gradWeight is not null || gradBias is not null)
                {
                    Kernel("norm2d", x.DType, "group_norm_backward_affine").Begin()
                        .Buffer(mean).Buffer(rstd).Value(batch).Value(channels).Value(groups).Value(planes).Buffer(sums)
                        .Buffer(gradWeight ?? x).Value(gradWeight is null ? 0 : 1).Buffer(gradBias ?? x).Value(gradBias is null ? 0 : 1)
                        .Launch1D(channels, GroupSize);
                }
            }
        }
        finally
        {
            // Safe while the kernels are queued: later users of the memory run after them on the in-order queue.
            sums.Release();
        }
    }
}
