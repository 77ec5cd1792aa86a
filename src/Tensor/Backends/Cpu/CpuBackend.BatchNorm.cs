using System.Numerics;
using Spamp.Memory;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Fused batch norm: one job per channel (its batch planes are strided by channels * spatial), two
/// passes for the statistics (mean, then the sum of squared deviations, so no cancellation) and one
/// for the output; the backward needs two reductions (sum dy, sum dy*(x - mean)) and one pass. Per
/// plane sums run in vector lanes of T and are accumulated across planes in double, as PyTorch's
/// CPU kernel accumulates in double.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public override void BatchNorm(Storage x, int batch, int channels, int spatial, Storage? weight, Storage? bias,
        Storage? runningMean, Storage? runningVar, bool training, double momentum, double eps,
        Storage y, Storage saveMean, Storage saveInvstd)
    {
        var shape = new BatchNormShape(batch, channels, spatial);
        switch (y.DType)
        {
            case DType.Float32:
                CpuParallel.For(channels, (long)batch * spatial * 3, new BatchNormBody<float>(Ptr<float>(x), OptPtr<float>(weight), OptPtr<float>(bias),
                    OptPtr<float>(runningMean), OptPtr<float>(runningVar), training, momentum, eps, Ptr<float>(y), Ptr<float>(saveMean), Ptr<float>(saveInvstd), shape));
                break;
            case DType.Float64:
                CpuParallel.For(channels, (long)batch * spatial * 3, new BatchNormBody<double>(Ptr<double>(x), OptPtr<double>(weight), OptPtr<double>(bias),
                    OptPtr<double>(runningMean), OptPtr<double>(runningVar), training, momentum, eps, Ptr<double>(y), Ptr<double>(saveMean), Ptr<double>(saveInvstd), shape));
                break;
            default: throw Unsupported("batch_norm", y.DType);
        }
    }

    /// <inheritdoc/>
    public override void BatchNormBackward(Storage x, Storage gradOutput, Storage saveMean, Storage saveInvstd, Storage? weight,
        int batch, int channels, int spatial, bool training, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
    {
        var shape = new BatchNormShape(batch, channels, spatial);
        switch (x.DType)
        {
            case DType.Float32:
                CpuParallel.For(channels, (long)batch * spatial * 3, new BatchNormBackwardBody<float>(Ptr<float>(x), Ptr<float>(gradOutput), Ptr<float>(saveMean), Ptr<float>(saveInvstd),
                    OptPtr<float>(weight), training, OptPtr<float>(gradInput), OptPtr<float>(gradWeight), OptPtr<float>(gradBias), shape));
                break;
            case DType.Float64:
                CpuParallel.For(channels, (long)batch * spatial * 3, new BatchNormBackwardBody<double>(Ptr<double>(x), Ptr<double>(gradOutput), Ptr<double>(saveMean), Ptr<double>(saveInvstd),
                    OptPtr<double>(weight), training, OptPtr<double>(gradInput), OptPtr<double>(gradWeight), OptPtr<double>(gradBias), shape));
                break;
            default: throw Unsupported("batch_norm backward", x.DType);
        }
    }

    private static T* OptPtr<T>(Storage? storage) where T : unmanaged => storage is null ? null : Ptr<T>(storage);

    private readonly record struct BatchNormShape(int Batch, int Channels, int Spatial)
    {
        public long Count => (long)Batch * Spatial;

        /// <summary>The plane of sample n, channel c.</summary>
        public long Offset(int n, int c) => (((long)n * Channels) + c) * Spatial;
    }

    /// <summary>sum (p[i] - center) * q[i] (q = p: the sum of squared deviations), vectorised in T.</summary>
    private static double CenteredDot<T>(T* p, T* q, int count, T center) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = new Vector<T>(center);
        var acc = Vector<T>.Zero;
        int i = 0;
        for (; i <= count - Vector<T>.Count; i += Vector<T>.Count)
        {
            acc += (Vector.Load(p + i) - c) * Vector.Load(q + i);
        }

        T tail = T.Zero;
        for (; i < count; i++)
        {
            tail += (p[i] - center) * q[i];
        }

        return double.CreateTruncating(Vector.Sum(acc) + tail);
    }

    private readonly struct BatchNormBody<T>(T* x, T* weight, T* bias, T* runningMean, T* runningVar, bool training,
        double momentum, double eps, T* y, T* saveMean, T* saveInvstd, BatchNormShape s) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            for (int c = start; c < end; c++)
            {
                double mean, invstd;
                if (training)
                {
                    double sum = 0;
                    for (int n = 0; n < s.Batch; n++)
                    {
                        sum += double.CreateTruncating(TP.Sum(new ReadOnlySpan<T>(x + s.Offset(n, c), s.Spatial)));
                    }

                    mean = sum / s.Count;
                    T center = T.CreateTruncating(mean);
                    double squares = 0;
                    for (int n = 0; n < s.Batch; n++)
                    {
                        T* plane = x + s.Offset(n, c);
                        squares += CenteredDot(plane, plane, s.Spatial, center);
                    }

                    double variance = squares / s.Count;
                    invstd = 1 / Math.Sqrt(variance + eps);
                    if (runningMean != null)
                    {
                        runningMean[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningMean[c])) + (momentum * mean));
                    }

                    if (runningVar != null)
                    {
                        double unbiased = s.Count > 1 ? squares / (s.Count - 1) : double.NaN;
                        runningVar[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningVar[c])) + (momentum * unbiased));
                    }
                }
                else
                {
                    mean = double.CreateTruncating(runningMean[c]);
                    invstd = 1 / Math.Sqrt(double.CreateTruncating(runningVar[c]) + eps);
                }

                saveMean[c] = T.CreateTruncating(mean);
                saveInvstd[c] = T.CreateTruncating(invstd);

                // y = (x - mean) * scale + bias with scale = weight * invstd (centred first, so a large mean does not cancel).
                double gamma = weight == null ? 1 : double.CreateTruncating(weight[c]);
                T scale = T.CreateTruncating(gamma * invstd), shift = bias == null ? T.Zero : bias[c];
                T centerT = saveMean[c];
                var vs = new Vector<T>(scale);
                var vb = new Vector<T>(shift);
                var vc = new Vector<T>(centerT);
                for (int n = 0; n < s.Batch; n++)
                {
                    long offset = s.Offset(n, c);
                    T* xp = x + offset, yp = y + offset;
                    int i = 0;
                    for (; i <= s.Spatial - Vector<T>.Count; i += Vector<T>.Count)
                    {
                        (((Vector.Load(xp + i) - vc) * vs) + vb).Store(yp + i);
                    }

                    for (; i < s.Spatial; i++)
                    {
                        yp[i] = ((xp[i] - centerT) * scale) + shift;
                    }
                }
            }
        }
    }

    private readonly struct BatchNormBackwardBody<T>(T* x, T* dy, T* saveMean, T* saveInvstd, T* weight, bool training,
        T* dx, T* dweight, T* dbias, BatchNormShape s) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            for (int c = start; c < end; c++)
            {
                T center = saveMean[c];
                double mean = double.CreateTruncating(center), invstd = double.CreateTruncating(saveInvstd[c]);
                double sumDy = 0, sumDyCentered = 0;
                for (int n = 0; n < s.Batch; n++)
                {
                    long offset = s.Offset(n, c);
                    sumDy += double.CreateTruncating(TP.Sum(new ReadOnlySpan<T>(dy + offset, s.Spatial)));
                    sumDyCentered += CenteredDot(x + offset, dy + offset, s.Spatial, center);
                }

                if (dweight != null)
                {
                    dweight[c] = T.CreateTruncating(sumDyCentered * invstd);
                }

                if (dbias != null)
                {
                    dbias[c] = T.CreateTruncating(sumDy);
                }

                if (dx == null)
                {
                    continue;
                }

                double a = (weight == null ? 1 : double.CreateTruncating(weight[c])) * invstd;

                // Training: dx = a * (dy - sumDy/M - (x - mean) * invstd^2 * sumDyCentered/M)
                //             = a*dy + k*(x - mean) + k0 (centred first, so a large mean does not cancel).
                double k = training ? -a * invstd * invstd * sumDyCentered / s.Count : 0;
                double k0 = training ? -a * sumDy / s.Count : 0;
                var va = new Vector<T>(T.CreateTruncating(a));
                var vk = new Vector<T>(T.CreateTruncating(k));
                var vk0 = new Vector<T>(T.CreateTruncating(k0));
                var vc = new Vector<T>(center);
                for (int n = 0; n < s.Batch; n++)
                {
                    long offset = s.Offset(n, c);
                    T* xp = x + offset, dyp = dy + offset, dxp = dx + offset;
                    int i = 0;
                    for (; i <= s.Spatial - Vector<T>.Count; i += Vector<T>.Count)
                    {
                        ((va * Vector.Load(dyp + i)) + (vk * (Vector.Load(xp + i) - vc)) + vk0).Store(dxp + i);
                    }

                    for (; i < s.Spatial; i++)
                    {
                        dxp[i] = (va[0] * dyp[i]) + (vk[0] * (xp[i] - center)) + vk0[0];
                    }
                }
            }
        }
    }
}
