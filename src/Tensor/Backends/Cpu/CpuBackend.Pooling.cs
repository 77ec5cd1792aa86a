using System.Numerics;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Pooling over NCHW planes. Planes are independent, so work is split across cores by whole planes
/// (<see cref="CpuParallel"/>); each window's bounds follow PyTorch's CPU kernels exactly, so the
/// same element wins a max and the same divisor divides a mean.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public override void MaxPool2d(Storage input, Storage output, Storage indices, in Pool2dGeometry geometry)
    {
        switch (output.DType)
        {
            case DType.Float32: RunPool(new MaxPoolBody<float>(Ptr<float>(input), Ptr<float>(output), Ptr<long>(indices), geometry), geometry, true); break;
            case DType.Float64: RunPool(new MaxPoolBody<double>(Ptr<double>(input), Ptr<double>(output), Ptr<long>(indices), geometry), geometry, true); break;
            default: throw Unsupported("max_pool2d", output.DType);
        }
    }

    /// <inheritdoc/>
    public override void MaxPool2dBackward(Storage gradOutput, Storage indices, Storage gradInput, in Pool2dGeometry geometry)
    {
        switch (gradInput.DType)
        {
            case DType.Float32: RunPool(new MaxPoolBackwardBody<float>(Ptr<float>(gradOutput), Ptr<long>(indices), Ptr<float>(gradInput), geometry), geometry, false); break;
            case DType.Float64: RunPool(new MaxPoolBackwardBody<double>(Ptr<double>(gradOutput), Ptr<long>(indices), Ptr<double>(gradInput), geometry), geometry, false); break;
            default: throw Unsupported("max_pool2d backward", gradInput.DType);
        }
    }

    /// <inheritdoc/>
    public override void AvgPool2d(Storage input, Storage output, in Pool2dGeometry geometry, bool countIncludePad, int divisorOverride)
    {
        switch (output.DType)
        {
            case DType.Float32: RunPool(new AvgPoolBody<float>(Ptr<float>(input), Ptr<float>(output), geometry, countIncludePad, divisorOverride, false), geometry, true); break;
            case DType.Float64: RunPool(new AvgPoolBody<double>(Ptr<double>(input), Ptr<double>(output), geometry, countIncludePad, divisorOverride, false), geometry, true); break;
            default: throw Unsupported("avg_pool2d", output.DType);
        }
    }

    /// <inheritdoc/>
    public override void AvgPool2dBackward(Storage gradOutput, Storage gradInput, in Pool2dGeometry geometry, bool countIncludePad, int divisorOverride)
    {
        switch (gradInput.DType)
        {
            case DType.Float32: RunPool(new AvgPoolBody<float>(Ptr<float>(gradOutput), Ptr<float>(gradInput), geometry, countIncludePad, divisorOverride, true), geometry, true); break;
            case DType.Float64: RunPool(new AvgPoolBody<double>(Ptr<double>(gradOutput), Ptr<double>(gradInput), geometry, countIncludePad, divisorOverride, true), geometry, true); break;
            default: throw Unsupported("avg_pool2d backward", gradInput.DType);
        }
    }

    /// <inheritdoc/>
    public override void AdaptiveAvgPool2d(Storage input, Storage output, in Pool2dGeometry geometry)
    {
        switch (output.DType)
        {
            case DType.Float32: RunPool(new AdaptiveAvgPoolBody<float>(Ptr<float>(input), Ptr<float>(output), geometry, false), geometry, false); break;
            case DType.Float64: RunPool(new AdaptiveAvgPoolBody<double>(Ptr<double>(input), Ptr<double>(output), geometry, false), geometry, false); break;
            default: throw Unsupported("adaptive_avg_pool2d", output.DType);
        }
    }

    /// <inheritdoc/>
    public override void AdaptiveAvgPool2dBackward(Storage gradOutput, Storage gradInput, in Pool2dGeometry geometry)
    {
        switch (gradInput.DType)
        {
            case DType.Float32: RunPool(new AdaptiveAvgPoolBody<float>(Ptr<float>(gradOutput), Ptr<float>(gradInput), geometry, true), geometry, false); break;
            case DType.Float64: RunPool(new AdaptiveAvgPoolBody<double>(Ptr<double>(gradOutput), Ptr<double>(gradInput), geometry, true), geometry, false); break;
            default: throw Unsupported("adaptive_avg_pool2d backward", gradInput.DType);
        }
    }

    /// <summary>Runs a per-plane body over all planes; a plane costs about its window taps (or its input size).</summary>
    private static void RunPool<TBody>(TBody body, in Pool2dGeometry g, bool windowed) where TBody : struct, IRangeBody
    {
        long perPlane = windowed ? (long)g.OutPlane * g.KernelHeight * g.KernelWidth : Math.Max(g.InPlane, g.OutPlane);
        CpuParallel.For(g.Planes, perPlane + g.InPlane, body);
    }

    /// <summary>First tap at or after 0 and the end (exclusive) of a window starting at <paramref name="start"/>, as PyTorch's max pooling clips it.</summary>
    private static (int First, int End) MaxWindow(int start, int kernel, int dilation, int size)
    {
        int end = Math.Min(start + ((kernel - 1) * dilation) + 1, size);
        while (start < 0)
        {
            start += dilation;
        }

        return (start, end);
    }

    private readonly struct MaxPoolBody<T>(T* x, T* y, long* indices, Pool2dGeometry g) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            int width = g.InWidth;
            for (int p = start; p < end; p++)
            {
                T* plane = x + ((long)p * g.InPlane);
                T* outRow = y + ((long)p * g.OutPlane);
                long* outIndex = indices + ((long)p * g.OutPlane);
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    var (h0, h1) = MaxWindow((oh * g.StrideHeight) - g.PadHeight, g.KernelHeight, g.DilationHeight, g.InHeight);
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        var (w0, w1) = MaxWindow((ow * g.StrideWidth) - g.PadWidth, g.KernelWidth, g.DilationWidth, width);

                        // PyTorch starts from -inf at the window's first tap and lets NaN win.
                        T best = T.NegativeInfinity;
                        int arg = (h0 * width) + w0;
                        for (int ih = h0; ih < h1; ih += g.DilationHeight)
                        {
                            for (int iw = w0; iw < w1; iw += g.DilationWidth)
                            {
                                int index = (ih * width) + iw;
                                T v = plane[index];
                                if (v > best || T.IsNaN(v))
                                {
                                    best = v;
                                    arg = index;
                                }
                            }
                        }

                        int o = (oh * g.OutWidth) + ow;
                        outRow[o] = best;
                        outIndex[o] = arg;
                    }
                }
            }
        }
    }

    private readonly struct MaxPoolBackwardBody<T>(T* dy, long* indices, T* dx, Pool2dGeometry g) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            for (int p = start; p < end; p++)
            {
                T* plane = dx + ((long)p * g.InPlane);
                T* grad = dy + ((long)p * g.OutPlane);
                long* index = indices + ((long)p * g.OutPlane);
                new Span<T>(plane, g.InPlane).Clear();
                for (int o = 0; o < g.OutPlane; o++)
                {
                    plane[index[o]] += grad[o];
                }
            }
        }
    }

    /// <summary>Average pooling forward, or (when <paramref name="backward"/>) its gradient: src is dy, dst is dx.</summary>
    private readonly struct AvgPoolBody<T>(T* src, T* dst, Pool2dGeometry g, bool countIncludePad, int divisorOverride, bool backward) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            int height = g.InHeight, width = g.InWidth;
            for (int p = start; p < end; p++)
            {
                T* inPlane = (backward ? dst : src) + ((long)p * g.InPlane);
                T* outPlane = (backward ? src : dst) + ((long)p * g.OutPlane);
                if (backward)
                {
                    new Span<T>(inPlane, g.InPlane).Clear();
                }

                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        // PyTorch: the window is clipped to the padded input for pool_size, then to the input.
                        int h0 = (oh * g.StrideHeight) - g.PadHeight, w0 = (ow * g.StrideWidth) - g.PadWidth;
                        int h1 = Math.Min(h0 + g.KernelHeight, height + g.PadHeight), w1 = Math.Min(w0 + g.KernelWidth, width + g.PadWidth);
                        int poolSize = (h1 - h0) * (w1 - w0);
                        h0 = Math.Max(h0, 0);
                        w0 = Math.Max(w0, 0);
                        h1 = Math.Min(h1, height);
                        w1 = Math.Min(w1, width);
                        int o = (oh * g.OutWidth) + ow;
                        if (h0 >= h1 || w0 >= w1)
                        {
                            if (!backward)
                            {
                                outPlane[o] = T.Zero;
                            }

                            continue;
                        }

                        int divisor = divisorOverride > 0 ? divisorOverride : countIncludePad ? poolSize : (h1 - h0) * (w1 - w0);
                        T scale = T.CreateTruncating(divisor);
                        if (backward)
                        {
                            T share = outPlane[o] / scale;
                            for (int ih = h0; ih < h1; ih++)
                            {
                                for (int iw = w0; iw < w1; iw++)
                                {
                                    inPlane[(ih * width) + iw] += share;
                                }
                            }
                        }
                        else
                        {
                            T sum = T.Zero;
                            for (int ih = h0; ih < h1; ih++)
                            {
                                for (int iw = w0; iw < w1; iw++)
                                {
                                    sum += inPlane[(ih * width) + iw];
                                }
                            }

                            outPlane[o] = sum / scale;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Adaptive average pooling forward, or (when <paramref name="backward"/>) its gradient: src is dy, dst is dx.</summary>
    private readonly struct AdaptiveAvgPoolBody<T>(T* src, T* dst, Pool2dGeometry g, bool backward) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            int height = g.InHeight, width = g.InWidth;
            for (int p = start; p < end; p++)
            {
                T* inPlane = (backward ? dst : src) + ((long)p * g.InPlane);
                T* outPlane = (backward ? src : dst) + ((long)p * g.OutPlane);
                if (backward)
                {
                    new Span<T>(inPlane, g.InPlane).Clear();
                }

                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    // PyTorch's start_index = floor(o * in / out) and end_index = ceil((o + 1) * in / out).
                    int h0 = (int)((long)oh * height / g.OutHeight);
                    int h1 = (int)((((long)(oh + 1) * height) + g.OutHeight - 1) / g.OutHeight);
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        int w0 = (int)((long)ow * width / g.OutWidth);
                        int w1 = (int)((((long)(ow + 1) * width) + g.OutWidth - 1) / g.OutWidth);
                        T count = T.CreateTruncating((h1 - h0) * (w1 - w0));
                        int o = (oh * g.OutWidth) + ow;
                        if (backward)
                        {
                            T share = outPlane[o] / count;
                            for (int ih = h0; ih < h1; ih++)
                            {
                                for (int iw = w0; iw < w1; iw++)
                                {
                                    inPlane[(ih * width) + iw] += share;
                                }
                            }
                        }
                        else
                        {
                            T sum = T.Zero;
                            for (int ih = h0; ih < h1; ih++)
                            {
                                for (int iw = w0; iw < w1; iw++)
                                {
                                    sum += inPlane[(ih * width) + iw];
                                }
                            }

                            outPlane[o] = sum / count;
                        }
                    }
                }
            }
        }
    }
}
