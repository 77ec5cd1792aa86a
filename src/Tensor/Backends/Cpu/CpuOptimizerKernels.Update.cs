using System.Numerics;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

/// <summary>
/// The fused base-rule kernels on the CPU. Each kernel is a struct body whose per-element math is
/// written once over <see cref="ISimdLanes{TSelf, T}"/> and run at the widest width the machine
/// has, then one element at a time for the tail; it reads and writes every array once. Tensors of
/// a million elements or more are cut into chunks of at least 64K elements run in parallel.
/// Nothing is allocated per call below that size.
/// </summary>
internal sealed unsafe partial class CpuOptimizerKernels
{
    /// <summary>Tensors at least this large are split across cores.</summary>
    internal const int ParallelThreshold = 1 << 20;

    /// <inheritdoc/>
    public override void AdamStep(Storage param, Storage grad, Storage expAvg, Storage expAvgSq, Storage? maxExpAvgSq, int count, in AdamCoefficients c)
    {
        switch (param.DType)
        {
            case DType.Float32:
                Run<float, AdamStepBody<float>>(count, new(Ptr<float>(param), Ptr<float>(grad), Ptr<float>(expAvg), Ptr<float>(expAvgSq), PtrOrNull<float>(maxExpAvgSq), c));
                break;
            case DType.Float64:
                Run<double, AdamStepBody<double>>(count, new(Ptr<double>(param), Ptr<double>(grad), Ptr<double>(expAvg), Ptr<double>(expAvgSq), PtrOrNull<double>(maxExpAvgSq), c));
                break;
            default:
                throw Unsupported("adam_step", param.DType);
        }
    }

    /// <inheritdoc/>
    public override void AdamDirection(Storage grad, Storage expAvg, Storage expAvgSq, int count, in AdamCoefficients c)
    {
        switch (grad.DType)
        {
            case DType.Float32:
                Run<float, AdamDirectionBody<float>>(count, new(Ptr<float>(grad), Ptr<float>(expAvg), Ptr<float>(expAvgSq), c));
                break;
            case DType.Float64:
                Run<double, AdamDirectionBody<double>>(count, new(Ptr<double>(grad), Ptr<double>(expAvg), Ptr<double>(expAvgSq), c));
                break;
            default:
                throw Unsupported("adam_direction", grad.DType);
        }
    }

    /// <inheritdoc/>
    public override void SgdStep(Storage param, Storage grad, Storage? momentumBuffer, int count, in SgdCoefficients c)
    {
        switch (param.DType)
        {
            case DType.Float32:
                Run<float, SgdStepBody<float>>(count, new(Ptr<float>(param), Ptr<float>(grad), PtrOrNull<float>(momentumBuffer), c));
                break;
            case DType.Float64:
                Run<double, SgdStepBody<double>>(count, new(Ptr<double>(param), Ptr<double>(grad), PtrOrNull<double>(momentumBuffer), c));
                break;
            default:
                throw Unsupported("sgd_step", param.DType);
        }
    }

    /// <inheritdoc/>
    public override void MomentumDirection(Storage grad, Storage momentumBuffer, int count, in SgdCoefficients c)
    {
        switch (grad.DType)
        {
            case DType.Float32:
                Run<float, MomentumDirectionBody<float>>(count, new(Ptr<float>(grad), Ptr<float>(momentumBuffer), c));
                break;
            case DType.Float64:
                Run<double, MomentumDirectionBody<double>>(count, new(Ptr<double>(grad), Ptr<double>(momentumBuffer), c));
                break;
            default:
                throw Unsupported("momentum_direction", grad.DType);
        }
    }

    /// <inheritdoc/>
    public override void LionStep(Storage param, Storage grad, Storage expAvg, int count, in LionCoefficients c)
    {
        switch (param.DType)
        {
            case DType.Float32:
                Run<float, LionStepBody<float>>(count, new(Ptr<float>(param), Ptr<float>(grad), Ptr<float>(expAvg), c));
                break;
            case DType.Float64:
                Run<double, LionStepBody<double>>(count, new(Ptr<double>(param), Ptr<double>(grad), Ptr<double>(expAvg), c));
                break;
            default:
                throw Unsupported("lion_step", param.DType);
        }
    }

    private static T* Ptr<T>(Storage storage) where T : unmanaged => (T*)((CpuBuffer)storage.Buffer).Pointer;

    private static T* PtrOrNull<T>(Storage? storage) where T : unmanaged => storage is null ? null : Ptr<T>(storage);

    private static DTypeMismatchException Unsupported(string kernel, DType dtype) =>
        new($"{kernel}: {dtype.Name()} parameters are not supported on the CPU; use float32 or float64");

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count): at the widest hardware width, then the scalar
    /// tail; in parallel chunks (64-element aligned, at least 64K elements each) for large tensors.
    /// </summary>
    private static void Run<T, TBody>(int count, TBody body)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TBody : struct, ILaneBody<T>
    {
        int cores = Environment.ProcessorCount;
        if (count < ParallelThreshold || cores == 1)
        {
            RunRange<T, TBody>(ref body, 0, count);
            return;
        }

        int chunks = Math.Min(count / ParallelChunk, cores * 2);
        int chunkSize = ((count / chunks) + 63) & ~63;
        Parallel.For(0, chunks, chunk =>
        {
            TBody local = body;
            int start = chunk * chunkSize;
            RunRange<T, TBody>(ref local, start, chunk == chunks - 1 ? count : Math.Min(count, start + chunkSize));
        });
    }

    private static void RunRange<T, TBody>(ref TBody body, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TBody : struct, ILaneBody<T>
    {
        int i = start;
        if (Lanes512<T>.IsAccelerated)
        {
            i = body.Run<Lanes512<T>>(i, end);
        }
        else if (Lanes256<T>.IsAccelerated)
        {
            i = body.Run<Lanes256<T>>(i, end);
        }

        body.Run<Lanes1<T>>(i, end);
    }

    /// <summary>A kernel's per-element math at any lane width.</summary>
    private interface ILaneBody<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Processes whole groups of <c>TV.Count</c> elements from <paramref name="i"/> while they fit before <paramref name="end"/>; returns where it stopped.</summary>
        int Run<TV>(int i, int end) where TV : struct, ISimdLanes<TV, T>;
    }

    private readonly struct AdamStepBody<T>(T* param, T* grad, T* expAvg, T* expAvgSq, T* maxExpAvgSq, in AdamCoefficients c) : ILaneBody<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _beta1 = T.CreateTruncating(c.Beta1), _oneMinusBeta1 = T.CreateTruncating(1 - c.Beta1);
        private readonly T _beta2 = T.CreateTruncating(c.Beta2), _oneMinusBeta2 = T.CreateTruncating(1 - c.Beta2);
        private readonly T _eps = T.CreateTruncating(c.Eps), _negStepSize = T.CreateTruncating(-c.StepSize);
        private readonly T _bc2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt), _decay = T.CreateTruncating(c.Decay), _l2 = T.CreateTruncating(c.L2);
        private readonly bool _decoupled = c.Decay != 1, _coupled = c.L2 != 0, _maximize = c.Maximize, _scaled = c.GradientScale != 1;
        private readonly T _gradientScale = T.CreateTruncating(c.GradientScale);

        public int Run<TV>(int i, int end) where TV : struct, ISimdLanes<TV, T>
        {
            TV beta1 = TV.Broadcast(_beta1), oneMinusBeta1 = TV.Broadcast(_oneMinusBeta1);
            TV beta2 = TV.Broadcast(_beta2), oneMinusBeta2 = TV.Broadcast(_oneMinusBeta2);
            TV eps = TV.Broadcast(_eps), negStepSize = TV.Broadcast(_negStepSize), bc2Sqrt = TV.Broadcast(_bc2Sqrt);
            TV decay = TV.Broadcast(_decay), l2 = TV.Broadcast(_l2), gradientScale = TV.Broadcast(_gradientScale);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(param + i);
                TV g = TV.Load(grad + i);
                if (_scaled)
                {
                    // The same float multiply a separate scaling pass would have done, so results are identical.
                    g *= gradientScale;
                }

                if (_decoupled)
                {
                    p *= decay;
                }

                if (_maximize)
                {
                    g = -g;
                }

                if (_coupled)
                {
                    g += l2 * p;
                }

                TV m = (TV.Load(expAvg + i) * beta1) + (g * oneMinusBeta1);
                TV v = (TV.Load(expAvgSq + i) * beta2) + (oneMinusBeta2 * g * g);
                TV.Store(m, expAvg + i);
                TV.Store(v, expAvgSq + i);
                if (maxExpAvgSq is not null)
                {
                    // AMSGrad keeps the max of the raw second moment and divides by the current bias correction.
                    v = TV.Max(TV.Load(maxExpAvgSq + i), v);
                    TV.Store(v, maxExpAvgSq + i);
                }

                TV denom = (TV.Sqrt(v) / bc2Sqrt) + eps;
                TV.Store(p + (negStepSize * (m / denom)), param + i);
            }

            return i;
        }
    }

    private readonly struct AdamDirectionBody<T>(T* grad, T* expAvg, T* expAvgSq, in AdamCoefficients c) : ILaneBody<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _beta1 = T.CreateTruncating(c.Beta1), _oneMinusBeta1 = T.CreateTruncating(1 - c.Beta1);
        private readonly T _beta2 = T.CreateTruncating(c.Beta2), _oneMinusBeta2 = T.CreateTruncating(1 - c.Beta2);
        private readonly T _eps = T.CreateTruncating(c.Eps), _bc1 = T.CreateTruncating(c.BiasCorrection1), _bc2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt);

        public int Run<TV>(int i, int end) where TV : struct, ISimdLanes<TV, T>
        {
            TV beta1 = TV.Broadcast(_beta1), oneMinusBeta1 = TV.Broadcast(_oneMinusBeta1);
            TV beta2 = TV.Broadcast(_beta2), oneMinusBeta2 = TV.Broadcast(_oneMinusBeta2);
            TV eps = TV.Broadcast(_eps), bc1 = TV.Broadcast(_bc1), bc2Sqrt = TV.Broadcast(_bc2Sqrt);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV g = TV.Load(grad + i);
                TV m = (TV.Load(expAvg + i) * beta1) + (g * oneMinusBeta1);
                TV v = (TV.Load(expAvgSq + i) * beta2) + (oneMinusBeta2 * g * g);
                TV.Store(m, expAvg + i);
                TV.Store(v, expAvgSq + i);
                TV.Store(m / bc1 / ((TV.Sqrt(v) / bc2Sqrt) + eps), grad + i);
            }

            return i;
        }
    }

    private readonly struct SgdStepBody<T>(T* param, T* grad, T* momentumBuffer, in SgdCoefficients c) : ILaneBody<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _negLr = T.CreateTruncating(-c.LearningRate), _momentum = T.CreateTruncating(c.Momentum);
        private readonly T _oneMinusDampening = T.CreateTruncating(1 - c.Dampening), _weightDecay = T.CreateTruncating(c.WeightDecay);
        private readonly bool _decay = c.WeightDecay != 0, _nesterov = c.Nesterov, _maximize = c.Maximize, _first = c.FirstStep;

        public int Run<TV>(int i, int end) where TV : struct, ISimdLanes<TV, T>
        {
            TV negLr = TV.Broadcast(_negLr), momentum = TV.Broadcast(_momentum);
            TV oneMinusDampening = TV.Broadcast(_oneMinusDampening), weightDecay = TV.Broadcast(_weightDecay);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV p = TV.Load(param + i);
                TV g = TV.Load(grad + i);
                if (_maximize)
                {
                    g = -g;
                }

                if (_decay)
                {
                    g += weightDecay * p;
                }

                TV d = g;
                if (momentumBuffer is not null)
                {
                    // The first step copies g into the buffer: PyTorch applies no dampening to it.
                    TV buf = _first ? g : (TV.Load(momentumBuffer + i) * momentum) + (g * oneMinusDampening);
                    TV.Store(buf, momentumBuffer + i);
                    d = _nesterov ? g + (buf * momentum) : buf;
                }

                TV.Store(p + (d * negLr), param + i);
            }

            return i;
        }
    }

    private readonly struct MomentumDirectionBody<T>(T* grad, T* momentumBuffer, in SgdCoefficients c) : ILaneBody<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _momentum = T.CreateTruncating(c.Momentum), _oneMinusDampening = T.CreateTruncating(1 - c.Dampening);
        private readonly bool _nesterov = c.Nesterov, _first = c.FirstStep;

        public int Run<TV>(int i, int end) where TV : struct, ISimdLanes<TV, T>
        {
            TV momentum = TV.Broadcast(_momentum), oneMinusDampening = TV.Broadcast(_oneMinusDampening);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV g = TV.Load(grad + i);
                TV buf = _first ? g : (TV.Load(momentumBuffer + i) * momentum) + (g * oneMinusDampening);
                TV.Store(buf, momentumBuffer + i);
                TV.Store(_nesterov ? g + (buf * momentum) : buf, grad + i);
            }

            return i;
        }
    }

    private readonly struct LionStepBody<T>(T* param, T* grad, T* expAvg, in LionCoefficients c) : ILaneBody<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _negLr = T.CreateTruncating(-c.LearningRate), _decay = T.CreateTruncating(c.Decay);
        private readonly T _beta1 = T.CreateTruncating(c.Beta1), _oneMinusBeta1 = T.CreateTruncating(1 - c.Beta1);
        private readonly T _beta2 = T.CreateTruncating(c.Beta2), _oneMinusBeta2 = T.CreateTruncating(1 - c.Beta2);

        public int Run<TV>(int i, int end) where TV : struct, ISimdLanes<TV, T>
        {
            TV negLr = TV.Broadcast(_negLr), decay = TV.Broadcast(_decay);
            TV beta1 = TV.Broadcast(_beta1), oneMinusBeta1 = TV.Broadcast(_oneMinusBeta1);
            TV beta2 = TV.Broadcast(_beta2), oneMinusBeta2 = TV.Broadcast(_oneMinusBeta2);
            for (; i <= end - TV.Count; i += TV.Count)
            {
                TV g = TV.Load(grad + i);
                TV m = TV.Load(expAvg + i);
                TV direction = TV.Sign((m * beta1) + (g * oneMinusBeta1));
                TV.Store((TV.Load(param + i) * decay) + (direction * negLr), param + i);

                // The momentum moves after the update, with beta2 (not beta1).
                TV.Store((m * beta2) + (g * oneMinusBeta2), expAvg + i);
            }

            return i;
        }
    }
}
