using System.Runtime.InteropServices;
using Spamp.Memory;

namespace Spamp.Backends.Gpu;

/// <summary>
/// Pooling (Kernels/pooling.cl): one work-item per output element forward and one per input element
/// backward, where each input element gathers the gradients of the windows that cover it in the
/// order the CPU backend scatters them, so gradients match the CPU's and need no atomics.
/// </summary>
public abstract partial class GpuBackend
{
    /// <inheritdoc/>
    public override void MaxPool2d(Storage input, Storage output, Storage indices, in Pool2dGeometry geometry)
    {
        int count = geometry.Planes * geometry.OutPlane;
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("pooling", output.DType, "max_pool").Begin()
                .Value(new PoolShape(geometry)).Buffer(input).Buffer(output).Buffer(indices)
                .Launch1D(count, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void MaxPool2dBackward(Storage gradOutput, Storage indices, Storage gradInput, in Pool2dGeometry geometry)
    {
        int count = geometry.Planes * geometry.InPlane;
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("pooling", gradInput.DType, "max_pool_backward").Begin()
                .Value(new PoolShape(geometry)).Buffer(gradOutput).Buffer(indices).Buffer(gradInput)
                .Launch1D(count, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void AvgPool2d(Storage input, Storage output, in Pool2dGeometry geometry, bool countIncludePad, int divisorOverride)
    {
        int count = geometry.Planes * geometry.OutPlane;
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("pooling", output.DType, "avg_pool").Begin()
                .Value(new PoolShape(geometry)).Buffer(input).Buffer(output).Value(countIncludePad ? 1 : 0).Value(divisorOverride)
                .Launch1D(count, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void AvgPool2dBackward(Storage gradOutput, Storage gradInput, in Pool2dGeometry geometry, bool countIncludePad, int divisorOverride)
    {
        int count = geometry.Planes * geometry.InPlane;
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("pooling", gradInput.DType, "avg_pool_backward").Begin()
                .Value(new PoolShape(geometry)).Buffer(gradOutput).Buffer(gradInput).Value(countIncludePad ? 1 : 0).Value(divisorOverride)
                .Launch1D(count, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void AdaptiveAvgPool2d(Storage input, Storage output, in Pool2dGeometry geometry)
    {
        int count = geometry.Planes * geometry.OutPlane;
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("pooling", output.DType, "adaptive_avg_pool").Begin()
                .Value(new PoolShape(geometry)).Buffer(input).Buffer(output)
                .Launch1D(count, GroupSize);
        }
    }

    /// <inheritdoc/>
    public override void AdaptiveAvgPool2dBackward(Storage gradOutput, Storage gradInput, in Pool2dGeometry geometry)
    {
        int count = geometry.Planes * geometry.InPlane;
        if (count == 0)
        {
            return;
        }

        lock (Gate)
        {
            Kernel("pooling", gradInput.DType, "adaptive_avg_pool_backward").Begin()
                .Value(new PoolShape(geometry)).Buffer(gradOutput).Buffer(gradInput)
                .Launch1D(count, GroupSize);
        }
    }

    /// <summary>pooling.cl's PoolShape: the sizes of a <see cref="Pool2dGeometry"/>, thirteen ints in the kernel's order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct PoolShape(in Pool2dGeometry g)
    {
        public readonly int Planes = g.Planes, InHeight = g.InHeight, InWidth = g.InWidth, OutHeight = g.OutHeight, OutWidth = g.OutWidth;
        public readonly int KernelHeight = g.KernelHeight, KernelWidth = g.KernelWidth, StrideHeight = g.StrideHeight, StrideWidth = g.StrideWidth;
        public readonly int PadHeight = g.PadHeight, PadWidth = g.PadWidth, DilationHeight = g.DilationHeight, DilationWidth = g.DilationWidth;
    }
}
