namespace Spamp.Backends.Cuda;

/// <summary>
/// Translates the launchers' OpenCL-style ranges (global work-items, work-group size) into CUDA's
/// grid of blocks, checking the hardware limits so a too-large launch fails with the sizes named
/// instead of a bare CUDA_ERROR_INVALID_VALUE.
/// </summary>
internal static class CudaLaunchGeometry
{
    /// <summary>The largest grid in x (2^31 - 1 blocks, every GPU since compute capability 3.0).</summary>
    public const long MaxGridX = int.MaxValue;

    /// <summary>The largest grid in y and z.</summary>
    public const int MaxGridYz = 65535;

    /// <summary>The blocks of a 1-D launch over <paramref name="count"/> items in blocks of <paramref name="local"/>: ceil(count / local), the last block partly idle (kernels check bounds).</summary>
    public static uint Blocks1D(long count, int local)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(local);
        long blocks = (count + local - 1) / local;
        return blocks <= MaxGridX
            ? (uint)blocks
            : throw new NotSupportedException($"a launch over {count} items in blocks of {local} needs {blocks} blocks; CUDA grids hold at most {MaxGridX}");
    }

    /// <summary>The grid of a 3-D launch: global / local in each dimension (each global size a multiple of its local size).</summary>
    public static (uint X, uint Y, uint Z) Grid3D(int globalX, int globalY, int globalZ, int localX, int localY, int localZ) =>
        (Blocks(globalX, localX, "x", MaxGridX), Blocks(globalY, localY, "y", MaxGridYz), Blocks(globalZ, localZ, "z", MaxGridYz));

    private static uint Blocks(int global, int local, string axis, long limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(global);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(local);
        if (global % local != 0)
        {
            throw new ArgumentException($"global size {global} in {axis} is not a multiple of the block size {local}");
        }

        int blocks = global / local;
        return blocks <= limit
            ? (uint)blocks
            : throw new NotSupportedException($"{blocks} blocks in {axis} exceed CUDA's limit of {limit}");
    }
}
