using System.Runtime.InteropServices;
using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// Convolution as an implicit GEMM (Kernels/conv.cl): each direction is one tiled matrix product per
/// (image, channel group) whose operands are read from the tensors through im2col index arithmetic,
/// so nothing is unrolled into memory and no output is written twice. The weight gradient, whose
/// depth (batch * output positions) is long and whose output is small, is split along the depth into
/// partial products that a second kernel adds in a fixed order; the bias gradient is a sum over
/// batch and positions by the reduction kernel. No atomics anywhere: results are reproducible.
/// </summary>
public abstract partial class GpuBackend
{
    /// <summary>Rows and columns of C one work-group computes (conv.cl's TILE), with 16 x 16 work-items (THREADS).</summary>
    private const int ConvTile = 32;

    /// <summary>conv.cl's THREADS: work-items per side of a work-group.</summary>
    private const int ConvThreads = 16;

    /// <summary>conv.cl's TILE_K: the depth a work-group stages per step; depth chunks are multiples of it.</summary>
    private const int ConvTileDepth = 16;

    /// <summary>Work-groups the weight gradient aims for by splitting its depth, enough to occupy a large GPU.</summary>
    private const int ConvTargetGroups = 256;

    /// <summary>The shortest depth chunk worth a partial product of its own.</summary>
    private const int ConvMinChunk = 512;

    /// <summary>The largest grid dimension CUDA accepts in y and z; larger (image, group) counts launch in parts.</summary>
    private const int MaxGridZ = 65535;

    /// <inheritdoc/>
    public override void Conv2d(Storage input, Storage weight, Storage? bias, Storage output, in Conv2dGeometry geometry)
    {
        var shape = new ConvShape(geometry);
        int blocks = geometry.Batch * geometry.Groups;
        if (!ConvGrid(blocks, geometry.OutChannelsPerGroup, geometry.OutPlane, out int x, out int y))
        {
            return;
        }

        lock (Gate)
        {
            for (int zBase = 0; zBase < blocks; zBase += MaxGridZ)
            {
                Kernel("conv", output.DType, "conv_forward").Begin()
                    .Value(shape).Buffer(input).Buffer(weight).Buffer(bias ?? weight).Value(bias is null ? 0 : 1).Buffer(output).Value(zBase)
                    .Launch3D(x, y, Math.Min(MaxGridZ, blocks - zBase), ConvThreads, ConvThreads, 1);
            }
        }
    }

    /// <inheritdoc/>
    public override void Conv2dBackwardInput(Storage gradOutput, Storage weight, Storage gradInput, in Conv2dGeometry geometry)
    {
        var shape = new ConvShape(geometry);
        int blocks = geometry.Batch * geometry.Groups;
        if (!ConvGrid(blocks, geometry.InChannelsPerGroup, geometry.InPlane, out int x, out int y))
        {
            return;
        }

        lock (Gate)
        {
            for (int zBase = 0; zBase < blocks; zBase += MaxGridZ)
            {
                Kernel("conv", gradInput.DType, "conv_backward_input").Begin()
                    .Value(shape).Buffer(gradOutput).Buffer(weight).Buffer(gradInput).Value(zBase)
                    .Launch3D(x, y, Math.Min(MaxGridZ, blocks - zBase), ConvThreads, ConvThreads, 1);
            }
        }
    }

    /// <inheritdoc/>
    public override void Conv2dBackwardWeight(Storage input, Storage gradOutput, Storage gradWeight, Storage? gradBias, in Conv2dGeometry geometry)
    {
        var shape = new ConvShape(geometry);
        int m = geometry.OutChannelsPerGroup, n = geometry.PatchSize;
        int depth = geometry.Batch * geometry.OutPlane;
        int tiles = CeilDiv(m, ConvTile) * CeilDiv(n, ConvTile) * geometry.Groups;
        int splits = Math.Clamp(ConvTargetGroups / Math.Max(tiles, 1), 1, Math.Max(depth / ConvMinChunk, 1));
        int chunk = RoundUp(CeilDiv(depth, splits), ConvTileDepth);
        splits = chunk == 0 ? 1 : CeilDiv(depth, chunk);
        int blocks = splits * geometry.Groups;
        if (ConvGrid(blocks, m, n, out int x, out int y))
        {
            // One chunk writes the gradient itself; several write partial gradients that are then added in order.
            int count = geometry.OutChannels * n;
            Storage? partial = splits > 1 ? Storage.Allocate(this, gradWeight.DType, splits * count) : null;
            try
            {
                lock (Gate)
                {
                    for (int zBase = 0; zBase < blocks; zBase += MaxGridZ)
                    {
                        Kernel("conv", gradWeight.DType, "conv_backward_weight").Begin()
                            .Value(shape).Buffer(input).Buffer(gradOutput).Buffer(partial ?? gradWeight).Value(chunk).Value(zBase)
                            .Launch3D(x, y, Math.Min(MaxGridZ, blocks - zBase), ConvThreads, ConvThreads, 1);
                    }

                    if (partial is not null)
                    {
                        Kernel("conv", gradWeight.DType, "conv_sum_splits").Begin()
                            .Buffer(partial).Value(splits).Value(count).Buffer(gradWeight)
                            .Launch1D(count, GroupSize);
                    }
                }
            }
            finally
            {
                // Safe while the kernels are queued: later users of the memory run after them on the in-order queue.
                partial?.Release();
            }
        }

        if (gradBias is not null)
        {
            Layout planes = Layout.Contiguous(new Shape(geometry.Batch, geometry.OutChannels, geometry.OutPlane));
            Reduce(ReduceOp.Sum, gradOutput, planes, [0, 2], gradBias);
        }
    }

    /// <summary>
    /// The global size, in work-items, of a conv.cl GEMM whose C blocks are <paramref name="m"/> x
    /// <paramref name="n"/>, one block per (image or split, group); false when there is nothing to compute.
    /// </summary>
    private static bool ConvGrid(int blocks, int m, int n, out int x, out int y)
    {
        x = CeilDiv(n, ConvTile) * ConvThreads;
        y = CeilDiv(m, ConvTile) * ConvThreads;
        return blocks > 0 && m > 0 && n > 0;
    }

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;

    /// <summary>conv.cl's ConvShape: the sizes of a <see cref="Conv2dGeometry"/>, sixteen ints in the kernel's order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct ConvShape(in Conv2dGeometry g)
    {
        public readonly int Batch = g.Batch, InChannels = g.InChannels, InHeight = g.InHeight, InWidth = g.InWidth;
        public readonly int OutChannels = g.OutChannels, OutHeight = g.OutHeight, OutWidth = g.OutWidth, Groups = g.Groups;
        public readonly int KernelHeight = g.KernelHeight, KernelWidth = g.KernelWidth, StrideHeight = g.StrideHeight, StrideWidth = g.StrideWidth;
        public readonly int PadTop = g.PadTop, PadLeft = g.PadLeft, DilationHeight = g.DilationHeight, DilationWidth = g.DilationWidth;
    }
}
