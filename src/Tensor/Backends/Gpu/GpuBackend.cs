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

    /// <summary>
    /// The preprocessor definitions that specialise <paramref name="family"/> for <paramref name="variant"/>,
    /// as <c>NAME=value</c> or <c>NAME</c>: the element type <c>T</c> (or <c>E</c>, the element width of
    /// the type-blind data family), and <c>SCALAR</c>, the type host scalars arrive in.
    /// </summary>
    private protected string[] Definitions(string family, int variant)
    {
        string[] scalar = SupportsFloat64 ? ["SPAMP_FP64", "SCALAR=double"] : ["SCALAR=float"];
        string[] types = family switch
        {
            "data" => [variant switch { 1 => "E=uchar", 2 => "E=ushort", 4 => "E=uint", _ => "E=ulong" }],
            "random" => [],
            "cast" => [$"SRC_KIND={variant}"],
            "indexing" => IndexingDefinitions((DType)variant),
            "select" => [.. TypeDefinitions((DType)variant), $"T_SIZE={((DType)variant).SizeOf()}"],
            _ => TypeDefinitions((DType)variant),
        };
        return [.. scalar, .. types];
    }

    private string[] TypeDefinitions(DType dtype) => dtype switch
    {
        DType.Float32 => ["T=float", "IS_FLOAT=1"],
        DType.Float64 when SupportsFloat64 => ["T=double", "IS_FLOAT=1"],
        DType.Float64 => throw new NotSupportedException($"float64: device {DeviceName} has no double precision"),
        DType.Int32 => ["T=int", "IS_FLOAT=0", "T_MIN=(-2147483647-1)", "T_MAX=2147483647"],
        DType.Int64 => ["T=i64", "IS_FLOAT=0", "T_MIN=(-9223372036854775807L-1)", "T_MAX=9223372036854775807L"],
        DType.Bool => ["T=uchar", "IS_FLOAT=0", "T_MIN=0", "T_MAX=1"],
        _ => throw new NotSupportedException($"{dtype.Name()}: the GPU backends compute only float32, float64, int32, int64 and bool (half types are computed in float32 by the Tensor API)"),
    };

    // The accumulating index kernels keep sums of bfloat16 in float and combine bools with "or".
    private static string[] IndexingDefinitions(DType dtype) => dtype switch
    {
        DType.Float32 => ["S=float", "A=float"],
        DType.Float64 => ["S=double", "A=double"],
        DType.Int32 => ["S=int", "A=int"],
        DType.Int64 => ["S=i64", "A=i64"],
        DType.BFloat16 => ["S=ushort", "A=float", "S_BF16"],
        DType.Bool => ["S=uchar", "A=int", "S_BOOL"],
        _ => throw new NotSupportedException($"{dtype.Name()}: accumulating index operations take float32, float64, int32, int64, bfloat16 or bool"),
    };

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
