using Spamp.Backends.Cpu;
using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// Primitives that have no GPU kernel yet (the layer-era families: convolution, pooling, batch
/// norm, layer/group norm, the fused cross-entropy and attention) run on the CPU backend through
/// host staging: every storage an op touches is read to host memory, the CPU kernel runs, and the
/// storages are written back. Results are exactly the CPU's, so models train on a GPU device
/// end to end; the cost is a device round trip per call, each counted in
/// <see cref="Backend.Synchronizations"/>, which is how the no-synchronisation test of a training
/// step will show when these families get native kernels.
/// </summary>
public abstract unsafe partial class GpuBackend
{
    /// <summary>Runs <paramref name="cpuKernel"/> on host copies of <paramref name="storages"/> and writes them all back.</summary>
    private void OnHost(Storage?[] storages, Action<Storage?[]> cpuKernel)
    {
        var host = new Storage?[storages.Length];
        try
        {
            CountSynchronization();
            for (int i = 0; i < storages.Length; i++)
            {
                if (storages[i] is { } device)
                {
                    host[i] = Storage.Allocate(CpuBackend.Instance, device.DType, device.Capacity);
                    Transfer(device, host[i]!, toHost: true);
                }
            }

            cpuKernel(host);
            for (int i = 0; i < storages.Length; i++)
            {
                if (storages[i] is { } device)
                {
                    Transfer(device, host[i]!, toHost: false);
                }
            }
        }
        finally
        {
            foreach (Storage? s in host)
            {
                s?.Release();
            }
        }
    }

    /// <summary>A blocking copy of a whole storage between the device and a host storage.</summary>
    private void Transfer(Storage device, Storage host, bool toHost)
    {
        long bytes = (long)device.Capacity * device.DType.SizeOf();
        if (bytes == 0)
        {
            return;
        }

        void* pointer = ((CpuBuffer)host.Buffer).Pointer;
        lock (Gate)
        {
            if (toHost)
            {
                ReadBytes(device, 0, pointer, bytes);
            }
            else
            {
                WriteBytes(device, 0, pointer, bytes);
            }
        }
    }

    private static BufferView View(Storage?[] host, int i, BufferView original) => new(host[i]!, original.Layout);

    private static BufferView? View(Storage?[] host, int i, BufferView? original) =>
        original is { } v ? new BufferView(host[i]!, v.Layout) : null;

    /// <inheritdoc/>
    public override void AttentionForward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, Storage logSumExp) =>
        OnHost([query.Storage, key.Storage, value.Storage, keyPaddingMask?.Storage, attnMask?.Storage, output.Storage, logSumExp], h =>
            CpuBackend.Instance.AttentionForward(args, View(h, 0, query), View(h, 1, key), View(h, 2, value),
                View(h, 3, keyPaddingMask), View(h, 4, attnMask), View(h, 5, output), h[6]!));

    /// <inheritdoc/>
    public override void AttentionBackward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, BufferView gradOutput, Storage logSumExp,
        BufferView gradQuery, BufferView gradKey, BufferView gradValue) =>
        OnHost([query.Storage, key.Storage, value.Storage, keyPaddingMask?.Storage, attnMask?.Storage, output.Storage, gradOutput.Storage,
            logSumExp, gradQuery.Storage, gradKey.Storage, gradValue.Storage], h =>
            CpuBackend.Instance.AttentionBackward(args, View(h, 0, query), View(h, 1, key), View(h, 2, value), View(h, 3, keyPaddingMask),
                View(h, 4, attnMask), View(h, 5, output), View(h, 6, gradOutput), h[7]!, View(h, 8, gradQuery), View(h, 9, gradKey), View(h, 10, gradValue)));

    /// <inheritdoc/>
    public override void LayerNorm(Storage x, int rows, int cols, Storage? weight, Storage? bias, double eps, bool rms,
        Storage y, Storage? mean, Storage rstd) =>
        OnHost([x, weight, bias, y, mean, rstd], h => CpuBackend.Instance.LayerNorm(h[0]!, rows, cols, h[1], h[2], eps, rms, h[3]!, h[4], h[5]!));

    /// <inheritdoc/>
    public override void LayerNormBackward(Storage x, Storage gradOutput, Storage? mean, Storage rstd, Storage? weight,
        int rows, int cols, bool rms, Storage? gradInput, Storage? gradWeight, Storage? gradBias) =>
        OnHost([x, gradOutput, mean, rstd, weight, gradInput, gradWeight, gradBias], h =>
            CpuBackend.Instance.LayerNormBackward(h[0]!, h[1]!, h[2], h[3]!, h[4], rows, cols, rms, h[5], h[6], h[7]));

    /// <inheritdoc/>
    public override void CrossEntropy(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage loss, Storage logSumExp, Storage sampleWeight) =>
        OnHost([logits, target, weight, loss, logSumExp, sampleWeight], h =>
            CpuBackend.Instance.CrossEntropy(h[0]!, outer, classes, inner, h[1]!, h[2], ignoreIndex, labelSmoothing, h[3]!, h[4]!, h[5]!));

    /// <inheritdoc/>
    public override void CrossEntropyBackward(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage logSumExp, Storage gradLoss, Storage gradLogits) =>
        OnHost([logits, target, weight, logSumExp, gradLoss, gradLogits], h =>
            CpuBackend.Instance.CrossEntropyBackward(h[0]!, outer, classes, inner, h[1]!, h[2], ignoreIndex, labelSmoothing, h[3]!, h[4]!, h[5]!));
}
