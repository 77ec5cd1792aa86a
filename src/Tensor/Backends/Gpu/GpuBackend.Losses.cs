using Spamp.Memory;

namespace Spamp.Backends.Gpu;

public abstract partial class GpuBackend
{
    /// <inheritdoc/>
    /// <remarks>One work-group per sample over its classes (losses.cl); nothing is waited for.</remarks>
    public override void CrossEntropy(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage loss, Storage logSumExp, Storage sampleWeight)
    {
        RequireFloat("cross_entropy", logits.DType);
        int samples = outer * inner;
        if (samples == 0)
        {
            return;
        }

        int local = GroupFor(classes);
        lock (Gate)
        {
            var kernel = Kernel("losses", logits.DType, "cross_entropy").Begin()
                .Buffer(logits).Value(classes).Value(inner).Buffer(target)
                .Buffer(weight ?? logits).Value(weight is null ? 0 : 1).Value(ignoreIndex);
            Scalar(kernel, labelSmoothing);
            kernel.Buffer(loss).Buffer(logSumExp).Buffer(sampleWeight).Launch1D((long)samples * local, local);
        }
    }

    /// <inheritdoc/>
    /// <remarks>One work-group per sample, which writes its classes' gradients from the saved log-sum-exp.</remarks>
    public override void CrossEntropyBackward(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage logSumExp, Storage gradLoss, Storage gradLogits)
    {
        RequireFloat("cross_entropy backward", logits.DType);
        int samples = outer * inner;
        if (samples == 0 || classes == 0)
        {
            return;
        }

        int local = GroupFor(classes);
        lock (Gate)
        {
            var kernel = Kernel("losses", logits.DType, "cross_entropy_backward").Begin()
                .Buffer(logits).Value(classes).Value(inner).Buffer(target)
                .Buffer(weight ?? logits).Value(weight is null ? 0 : 1).Value(ignoreIndex);
            Scalar(kernel, labelSmoothing);
            kernel.Buffer(logSumExp).Buffer(gradLoss).Buffer(gradLogits).Launch1D((long)samples * local, local);
        }
    }
}
