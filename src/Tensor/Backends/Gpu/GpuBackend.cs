using System.Numerics;
using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// What the OpenCL and CUDA backends share: every primitive, written once against
/// <see cref="GpuKernel"/> launchers and a handful of memory operations, and the compile-time
/// definitions that specialise the kernel sources per element type. A concrete backend supplies
/// the driver: compiling a family's source, launching, and moving bytes.
/// </summary>
/// <remarks>
/// Work is queued on one in-order queue (OpenCL) or stream (CUDA) and never waited for, except when
/// values are read back (<see cref="Download{T}"/>) or <see cref="Synchronize"/> is called: both count
/// in <see cref="Synchronizations"/>, which is how a test proves that a training step never waits.
/// </remarks>
public abstract unsafe partial class GpuBackend : Backend
{
    /// <summary>The work-group (block) size of element-wise kernels.</summary>
    private protected const int GroupSize = 256;

    private long _synchronizations;

    /// <summary>Serialises launches: a launcher's argument list is state shared by every caller.</summary>
    private protected Lock Gate { get; } = new();

    /// <inheritdoc/>
    public override long Synchronizations => Interlocked.Read(ref _synchronizations);

    /// <summary>The device's name, for messages.</summary>
    public abstract string DeviceName { get; }

    /// <summary>Whether the device computes in float64; without it Float64 tensors cannot be computed on.</summary>
    public abstract bool SupportsFloat64 { get; }

    /// <summary>The largest work-group (block) the device runs.</summary>
    private protected abstract int MaxGroupSize { get; }

    /// <summary>Waits until every queued command has finished (counts as a synchronisation).</summary>
    public void Synchronize()
    {
        CountSynchronization();
        WaitForQueue();
    }

    /// <summary>Records one host wait on the device.</summary>
    private protected void CountSynchronization() => Interlocked.Increment(ref _synchronizations);

    /// <summary>Blocks until the queue is empty (the caller counts it).</summary>
    private protected abstract void WaitForQueue();

    /// <summary>The launcher of <paramref name="kernel"/> in <paramref name="family"/> for <paramref name="variant"/> (a dtype, or an element size for the data family), compiled on first use. Call under <see cref="Gate"/>.</summary>
    private protected abstract GpuKernel Kernel(string family, int variant, string kernel);

    private protected GpuKernel Kernel(string family, DType dtype, string kernel) => Kernel(family, (int)dtype, kernel);

    /// <summary>A blocking copy of host bytes into a device buffer.</summary>
    private protected abstract void WriteBytes(Storage dst, long byteOffset, void* source, long bytes);

    /// <summary>A blocking copy of device bytes to host memory, after every queued command (the caller counts the synchronisation).</summary>
    private protected abstract void ReadBytes(Storage src, long byteOffset, void* destination, long bytes);

    /// <summary>A queued device-to-device copy between two different buffers.</summary>
    private protected abstract void CopyBytes(Storage src, long srcByteOffset, Storage dst, long dstByteOffset, long bytes);

    /// <summary>Queues a fill of <paramref name="bytes"/> bytes with a repeated 1, 2, 4 or 8-byte pattern.</summary>
    private protected abstract void FillBytes(Storage dst, long byteOffset, void* pattern, int patternSize, long bytes);

    // ---- kernel specialisation -----------------------------------------------------------------

    /// <summary>The preprocessor definitions that specialise <paramref name="family"/> for <paramref name="variant"/> on this device (see <see cref="KernelVariants.Definitions"/>).</summary>
    private protected string[] Definitions(string family, int variant) =>
        KernelVariants.Definitions(family, variant, SupportsFloat64, DeviceName);

    // ---- helpers -------------------------------------------------------------------------------

    // A host parameter in the kernels' SCALAR type (double where the device has fp64).
    private protected void Scalar(GpuKernel kernel, double value)
    {
        if (SupportsFloat64)
        {
            kernel.Value(value);
        }
        else
        {
            kernel.Value((float)value);
        }
    }

    // The work-group of a reduction over `count` elements: a power of two, no larger than needed, at most the
    // kernels' local arrays (256) and the device's limit.
    private protected int GroupFor(int count) =>
        (int)Math.Min(Math.Min(BitOperations.RoundUpToPowerOf2((uint)Math.Max(count, 1)), 256u), BitOperations.RoundUpToPowerOf2((uint)MaxGroupSize + 1) / 2);

    // The fused layer kernels compute in float32 or float64 (the Tensor API computes half types in float32).
    private protected static void RequireFloat(string op, DType dtype)
    {
        if (dtype is not (DType.Float32 or DType.Float64))
        {
            throw new NotSupportedException($"{op}: the GPU backends compute it in float32 or float64, not {dtype.Name()}");
        }
    }

    private protected static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private protected static int ElementSize(DType dtype) => dtype.SizeOf();
}
