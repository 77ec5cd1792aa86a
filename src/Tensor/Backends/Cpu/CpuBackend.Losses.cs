using System.Numerics;
using Spamp.Memory;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public override void CrossEntropy(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage loss, Storage logSumExp, Storage sampleWeight)
    {
        switch (logits.DType)
        {
            case DType.Float32:
                RunCrossEntropy(new CrossEntropyBody<float>(Ptr<float>(logits), classes, inner, Ptr<long>(target), OrNull<float>(weight),
                    ignoreIndex, labelSmoothing, Ptr<float>(loss), Ptr<float>(logSumExp), Ptr<float>(sampleWeight), null, null), outer * inner, classes);
                break;
            case DType.Float64:
                RunCrossEntropy(new CrossEntropyBody<double>(Ptr<double>(logits), classes, inner, Ptr<long>(target), OrNull<double>(weight),
                    ignoreIndex, labelSmoothing, Ptr<double>(loss), Ptr<double>(logSumExp), Ptr<double>(sampleWeight), null, null), outer * inner, classes);
                break;
            default: throw Unsupported("cross_entropy", logits.DType);
        }
    }

    /// <inheritdoc/>
    public override void CrossEntropyBackward(Storage logits, int outer, int classes, int inner, Storage target, Storage? weight,
        long ignoreIndex, double labelSmoothing, Storage logSumExp, Storage gradLoss, Storage gradLogits)
    {
        switch (logits.DType)
        {
            case DType.Float32:
                RunCrossEntropy(new CrossEntropyBody<float>(Ptr<float>(logits), classes, inner, Ptr<long>(target), OrNull<float>(weight),
                    ignoreIndex, labelSmoothing, null, Ptr<float>(logSumExp), null, Ptr<float>(gradLoss), Ptr<float>(gradLogits)), outer * inner, classes);
                break;
            case DType.Float64:
                RunCrossEntropy(new CrossEntropyBody<double>(Ptr<double>(logits), classes, inner, Ptr<long>(target), OrNull<double>(weight),
                    ignoreIndex, labelSmoothing, null, Ptr<double>(logSumExp), null, Ptr<double>(gradLoss), Ptr<double>(gradLogits)), outer * inner, classes);
                break;
            default: throw Unsupported("cross_entropy backward", logits.DType);
        }
    }

    private static void RunCrossEntropy<T>(CrossEntropyBody<T> body, int samples, int classes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (samples > 0)
        {
            CpuParallel.For(samples, (long)classes * 6, body);
        }
    }

    /// <summary>
    /// One sample per item. Forward when <c>loss</c> is set, backward when <c>gradLogits</c> is. A
    /// sample's classes are contiguous when inner is 1 (the [N, C] case, vectorised); otherwise they
    /// sit at stride inner and go through a scalar loop.
    /// </summary>
    private readonly struct CrossEntropyBody<T>(T* x, int classes, int inner, long* target, T* weight, long ignoreIndex, double smoothing,
        T* loss, T* lse, T* sampleWeight, T* gradLoss, T* gradLogits) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            // Sum of the class weights (W), needed by the smoothing term.
            double totalWeight = classes;
            if (weight != null && smoothing != 0)
            {
                totalWeight = double.CreateTruncating(AccurateSum.Sum(new ReadOnlySpan<T>(weight, classes)));
            }

            Span<T> block = stackalloc T[UnaryBlocks.Size];
            for (int sample = start; sample < end; sample++)
            {
                int o = sample / inner, i = sample % inner;
                T* xs = x + ((long)o * classes * inner) + i;
                long t = target[sample];
                bool ignored = t == ignoreIndex;
                double wt = ignored ? 0 : weight != null ? double.CreateTruncating(weight[t]) : 1;
                if (gradLogits == null)
                {
                    Forward(xs, t, ignored, wt, totalWeight, sample, block);
                }
                else
                {
                    Backward(xs, t, ignored, wt, totalWeight, sample);
                }
            }
        }

        private void Forward(T* xs, long t, bool ignored, double wt, double totalWeight, int sample, Span<T> block)
        {
            double logSumExp, weightedSum = 0;
            if (inner == 1)
            {
                var row = new ReadOnlySpan<T>(xs, classes);
                T max = TP.Max(row);
                double sum = 0;
                for (int at = 0; at < classes; at += block.Length)
                {
                    int n = Math.Min(block.Length, classes - at);
                    TP.Subtract(row.Slice(at, n), max, block[..n]);
                    TP.Exp(block[..n], block[..n]);
                    sum += double.CreateTruncating(TP.Sum<T>(block[..n]));
                }

                logSumExp = double.CreateTruncating(max) + Math.Log(sum);
                if (smoothing != 0 && !ignored)
                {
                    weightedSum = double.CreateTruncating(weight != null ? AccurateSum.Dot(row, new ReadOnlySpan<T>(weight, classes)) : AccurateSum.Sum(row));
                }
            }
            else
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < classes; c++)
                {
                    max = Math.Max(max, double.CreateTruncating(xs[(long)c * inner]));
                }

                double sum = 0;
                for (int c = 0; c < classes; c++)
                {
                    double v = double.CreateTruncating(xs[(long)c * inner]);
                    sum += Math.Exp(v - max);
                    weightedSum += weight != null ? double.CreateTruncating(weight[c]) * v : v;
                }

                logSumExp = max + Math.Log(sum);
            }

            lse[sample] = T.CreateTruncating(logSumExp);
            sampleWeight[sample] = T.CreateTruncating(wt);
            if (ignored)
            {
                loss[sample] = T.Zero;
                return;
            }

            double nll = logSumExp - double.CreateTruncating(xs[t * inner]);
            double smooth = (totalWeight * logSumExp) - weightedSum; // sum_c w_c (lse - x_c)
            loss[sample] = T.CreateTruncating((wt * (1 - smoothing) * nll) + (smoothing / classes * smooth));
        }

        private void Backward(T* xs, long t, bool ignored, double wt, double totalWeight, int sample)
        {
            T* d = gradLogits + (xs - x);
            if (ignored)
            {
                for (int c = 0; c < classes; c++)
                {
                    d[(long)c * inner] = T.Zero;
                }

                return;
            }

            // dx_c = gl * ((wt (1 - e) + e W / C) p_c - wt (1 - e) [c = t] - (e / C) w_c)
            double gl = double.CreateTruncating(gradLoss[sample]);
            T scaleP = T.CreateTruncating(gl * ((wt * (1 - smoothing)) + (smoothing * totalWeight / classes)));
            T perClass = T.CreateTruncating(-gl * smoothing / classes);
            T logSumExp = lse[sample];
            if (inner == 1)
            {
                var row = new ReadOnlySpan<T>(xs, classes);
                var dr = new Span<T>(d, classes);
                TP.Subtract(row, logSumExp, dr);
                TP.Exp(dr, dr);
                if (weight != null)
                {
                    TP.Multiply(dr, scaleP, dr);
                    TP.MultiplyAdd(new ReadOnlySpan<T>(weight, classes), perClass, dr, dr);
                }
                else
                {
                    ScaleShift<T>(dr, scaleP, perClass, dr);
                }
            }
            else
            {
                for (int c = 0; c < classes; c++)
                {
                    T p = T.Exp(xs[(long)c * inner] - logSumExp);
                    d[(long)c * inner] = (scaleP * p) + (perClass * (weight != null ? weight[c] : T.One));
                }
            }

            d[t * inner] -= T.CreateTruncating(gl * wt * (1 - smoothing));
        }
    }
}
