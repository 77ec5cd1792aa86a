using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Unrolls convolution patches into a matrix (im2col) and folds such a matrix back, adding
/// overlapping patches (col2im). The unrolled matrix of one image and one channel group is
/// [PatchSize, OutPlane]: row (c, i, j) holds input channel c shifted by kernel tap (i, j) for every
/// output position, so a convolution is weight [C_out/groups, PatchSize] times this matrix.
/// <para>
/// Each row is built output row by output row: the output columns whose tap falls inside the input
/// form one range [lo, hi) (computed once per tap), which is a plain copy (or add) when the stride is
/// 1; the positions outside it are the zero padding.
/// </para>
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>Writes the [PatchSize, OutPlane] patch matrix of one image's channel group (starting at <paramref name="image"/>) to <paramref name="columns"/>.</summary>
    public static void Unroll<T>(T* image, T* columns, in Conv2dGeometry g) where T : unmanaged, INumber<T>
    {
        int height = g.InHeight, width = g.InWidth, outH = g.OutHeight, outW = g.OutWidth;
        int strideW = g.StrideWidth;
        long outPlane = g.OutPlane;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
        {
            T* plane = image + ((long)c * g.InPlane);
            for (int i = 0; i < g.KernelHeight; i++)
            {
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    T* row = columns + ((((long)c * g.KernelHeight) + i) * g.KernelWidth + j) * outPlane;
                    int offsetW = (j * g.DilationWidth) - g.PadLeft;
                    var (lo, hi) = InsideRange(offsetW, strideW, width, outW);
                    for (int oh = 0; oh < outH; oh++)
                    {
                        T* dst = row + ((long)oh * outW);
                        int ih = (oh * g.StrideHeight) - g.PadTop + (i * g.DilationHeight);
                        if ((uint)ih >= (uint)height || lo >= hi)
                        {
                            new Span<T>(dst, outW).Clear();
                            continue;
                        }

                        if (lo > 0)
                        {
                            new Span<T>(dst, lo).Clear();
                        }

                        if (hi < outW)
                        {
                            new Span<T>(dst + hi, outW - hi).Clear();
                        }

                        // src[ow * strideW] is the input element under output column ow (valid for ow in [lo, hi)).
                        T* src = plane + ((long)ih * width) + offsetW;
                        if (strideW == 1)
                        {
                            new ReadOnlySpan<T>(src + lo, hi - lo).CopyTo(new Span<T>(dst + lo, hi - lo));
                        }
                        else
                        {
                            for (int ow = lo; ow < hi; ow++)
                            {
                                dst[ow] = src[(long)ow * strideW];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Adds each entry of the [PatchSize, OutPlane] matrix <paramref name="columns"/> to the input element it was unrolled from (the adjoint of <see cref="Unroll"/>).</summary>
    public static void Fold<T>(T* columns, T* image, in Conv2dGeometry g) where T : unmanaged, INumber<T>
    {
        int height = g.InHeight, width = g.InWidth, outH = g.OutHeight, outW = g.OutWidth;
        int strideW = g.StrideWidth;
        long outPlane = g.OutPlane;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
        {
            T* plane = image + ((long)c * g.InPlane);
            for (int i = 0; i < g.KernelHeight; i++)
            {
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    T* row = columns + ((((long)c * g.KernelHeight) + i) * g.KernelWidth + j) * outPlane;
                    int offsetW = (j * g.DilationWidth) - g.PadLeft;
                    var (lo, hi) = InsideRange(offsetW, strideW, width, outW);
                    if (lo >= hi)
                    {
                        continue;
                    }

                    for (int oh = 0; oh < outH; oh++)
                    {
                        int ih = (oh * g.StrideHeight) - g.PadTop + (i * g.DilationHeight);
                        if ((uint)ih >= (uint)height)
                        {
                            continue;
                        }

                        T* src = row + ((long)oh * outW);
                        T* dst = plane + ((long)ih * width) + offsetW;
                        if (strideW == 1)
                        {
                            var target = new Span<T>(dst + lo, hi - lo);
                            TP.Add(target, new ReadOnlySpan<T>(src + lo, hi - lo), target);
                        }
                        else
                        {
                            for (int ow = lo; ow < hi; ow++)
                            {
                                dst[(long)ow * strideW] += src[ow];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The output columns [lo, hi) whose input column ow*stride + offset lies in [0, width), clipped
    /// to [0, outWidth); lo &gt;= hi when there are none.
    /// </summary>
    private static (int Lo, int Hi) InsideRange(int offset, int stride, int width, int outWidth)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = width - 1 - offset;
        int hi = last < 0 ? 0 : (last / stride) + 1;
        return (Math.Min(lo, outWidth), Math.Min(hi, outWidth));
    }
}
