using Spamp.Memory;

namespace Spamp.Backends.Gpu;

public abstract partial class GpuBackend
{
    // Columns per work-group of the weight and bias gradients (layernorm.cl's AFFINE_COLUMNS), and the most
    // lanes that split the rows between them (AFFINE_LANES).
    private const int AffineColumns = 32;
    private const int AffineLanes = 8;

    /// <inheritdoc/>
    /// <remarks>One work-group per row (layernorm.cl); nothing is waited for.</remarks>
    public override void LayerNorm(Storage x, int rows, int cols, Storage? weight, Storage? bias, double eps, bool rms,
        Storage y, Storage? mean, Storage rstd)
    {
        RequireFloat(rms ? "rms_norm" : "layer_norm", x.DType);
        if (rows == 0)
        {
            return;
        }

        int local = GroupFor(cols);
        lock (Gate)
        {
            // An absent operand is flagged off; some other buffer of the call stands in for it, never read.
            var kernel = Kernel("layernorm", x.DType, "layer_norm").Begin()
                .Buffer(x).Value(cols)
                .Buffer(weight ?? x).Value(weight is null ? 0 : 1)
                .Buffer(bias ?? x).Value(bias is null ? 0 : 1);
            Scalar(kernel, eps);
            kernel.Value(rms ? 1 : 0).Buffer(y).Buffer(mean ?? rstd).Value(mean is null ? 0 : 1).Buffer(rstd)
                .Launch1D((long)rows * local, local);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The input gradient takes one work-group per row; the weight and bias gradients one per block of
    /// columns, each summing its columns over all rows in a fixed order (deterministic, no atomics).
    /// Without a saved mean the rows are taken as uncentred (RMS norm), as the CPU backend does.
    /// </remarks>
    public override void LayerNormBackward(Storage x, Storage gradOutput, Storage? mean, Storage rstd, Storage? weight,
        int rows, int cols, bool rms, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
    {
        RequireFloat(rms ? "rms_norm backward" : "layer_norm backward", x.DType);
        if (rows == 0 && gradWeight is null && gradBias is null)
        {
            return;
        }

        int uncentred = mean is null ? 1 : 0;
        lock (Gate)
        {
            if (gradInput is not null && rows > 0)
            {
                int local = GroupFor(cols);
                Kernel("layernorm", x.DType, "layer_norm_backward_input").Begin()
                    .Buffer(x).Buffer(gradOutput).Buffer(mean ?? rstd).Buffer(rstd)
                    .Buffer(weight ?? x).Value(weight is null ? 0 : 1).Value(cols).Value(uncentred).Buffer(gradInput)
                    .Launch1D((long)rows * local, local);
            }

            if ((gradWeight is not null || gradBias is not null) && cols > 0)
            {
                int lanes = Math.Clamp(MaxGroupSize / AffineColumns, 1, AffineLanes);
                Kernel("layernorm", x.DType, "layer_norm_backward_affine").Begin()
                    .Buffer(x).Buffer(gradOutput).Buffer(mean ?? rstd).Buffer(rstd).Value(rows).Value(cols).Value(uncentred)
                    .Buffer(gradWeight ?? x).Value(gradWeight is null ? 0 : 1)
                    .Buffer(gradBias ?? x).Value(gradBias is null ? 0 : 1)
                    .Launch3D(RoundUp(cols, AffineColumns), lanes, 1, AffineColumns, lanes, 1);
            }
        }
    }
}
