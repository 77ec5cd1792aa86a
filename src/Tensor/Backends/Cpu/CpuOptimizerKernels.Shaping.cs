using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

/// <summary>
/// CPU gradient-shaping kernels. Transcendental maps (power, exp) run block by block: each block of
/// <see cref="Block"/> elements goes through a few vectorised TensorPrimitives calls while it sits in
/// L1, so the tensor is still read and written once. Comparisons and selects use <see cref="Vector{T}"/>.
/// Float32 and float64, generic over the element type; nothing is allocated on the serial path.
/// </summary>
internal sealed partial class CpuOptimizerKernels
{
    /// <summary>Elements per L1-resident block (8 KiB of doubles).</summary>
    private const int Block = 1024;

    /// <inheritdoc/>
    public override double PowerShape(Storage values, int count, double inverseScale, double alpha) => values.DType switch
    {
        DType.Float32 => PowerShapeParallel<float>(values, count, inverseScale, alpha),
        DType.Float64 => PowerShapeParallel<double>(values, count, inverseScale, alpha),
        _ => throw new DTypeMismatchException($"power_shape: {values.DType.Name()} is not supported"),
    };

    /// <inheritdoc/>
    public override double PowerSum(Storage values, int count, double p) => values.DType switch
    {
        DType.Float32 => PowerSum(Span<float>(values, count), (float)p),
        DType.Float64 => PowerSum(Span<double>(values, count), p),
        _ => throw new DTypeMismatchException($"power_sum: {values.DType.Name()} is not supported"),
    };

    /// <inheritdoc/>
    public override void ClampValue(Storage values, int count, double limit)
    {
        switch (values.DType)
        {
            case DType.Float32: ClampValue(Span<float>(values, count), (float)limit); break;
            case DType.Float64: ClampValue(Span<double>(values, count), limit); break;
            default: throw new DTypeMismatchException($"clamp_value: {values.DType.Name()} is not supported");
        }
    }

    /// <inheritdoc/>
    public override int SpikeClip(Storage gradient, Storage secondMoment, int count, double theta) => gradient.DType switch
    {
        DType.Float32 when secondMoment.DType == DType.Float32 => SpikeClip(Span<float>(gradient, count), Span<float>(secondMoment, count), (float)theta),
        DType.Float64 when secondMoment.DType == DType.Float64 => SpikeClip(Span<double>(gradient, count), Span<double>(secondMoment, count), theta),
        _ => throw new DTypeMismatchException($"spike_clip: gradient {gradient.DType.Name()} with second moment {secondMoment.DType.Name()} is not supported"),
    };

    /// <inheritdoc/>
    public override int AdaClip(Storage values, int count, double threshold, double factor) => values.DType switch
    {
        DType.Float32 => AdaClip(Span<float>(values, count), (float)threshold, (float)factor),
        DType.Float64 => AdaClip(Span<double>(values, count), threshold, factor),
        _ => throw new DTypeMismatchException($"ada_clip: {values.DType.Name()} is not supported"),
    };

    /// <inheritdoc/>
    public override void Shrink(Storage values, int count, ShrinkFunction function, double scale, double k)
    {
        switch (values.DType)
        {
            case DType.Float32: ShrinkParallel<float>(values, count, function, scale, k); break;
            case DType.Float64: ShrinkParallel<double>(values, count, function, scale, k); break;
            default: throw new DTypeMismatchException($"shrink: {values.DType.Name()} is not supported");
        }
    }

    /// <inheritdoc/>
    public override double MedianAbsNonZero(Storage values, int count, int sampleCap, out int nonZero) => values.DType switch
    {
        DType.Float32 => MedianAbsNonZero<float>(Span<float>(values, count), sampleCap, out nonZero),
        DType.Float64 => MedianAbsNonZero<double>(Span<double>(values, count), sampleCap, out nonZero),
        _ => throw new DTypeMismatchException($"median_abs: {values.DType.Name()} is not supported"),
    };

    /// <inheritdoc/>
    public override double SpamMoments(Storage gradient, Storage m, Storage v, Storage? vmax, int count, double beta1, double beta2, double stepSize, double denomScale, double eps) => gradient.DType switch
    {
        DType.Float32 => SpamMoments(Span<float>(gradient, count), Span<float>(m, count), Span<float>(v, count), vmax is null ? default : Span<float>(vmax, count), (float)beta1, (float)beta2, (float)stepSize, (float)denomScale, (float)eps),
        DType.Float64 => SpamMoments(Span<double>(gradient, count), Span<double>(m, count), Span<double>(v, count), vmax is null ? default : Span<double>(vmax, count), beta1, beta2, stepSize, denomScale, eps),
        _ => throw new DTypeMismatchException($"spam_moments: {gradient.DType.Name()} is not supported"),
    };

    /// <inheritdoc/>
    public override void SpamApplyUpdate(Storage parameter, Storage m, Storage v, int count, double stepSize, double denomScale, double eps)
    {
        switch (parameter.DType)
        {
            case DType.Float32: SpamApplyUpdate(Span<float>(parameter, count), Span<float>(m, count), Span<float>(v, count), (float)stepSize, (float)denomScale, (float)eps); break;
            case DType.Float64: SpamApplyUpdate(Span<double>(parameter, count), Span<double>(m, count), Span<double>(v, count), stepSize, denomScale, eps); break;
            default: throw new DTypeMismatchException($"spam_apply_update: {parameter.DType.Name()} is not supported");
        }
    }

    // ---- SPAM / Stable-SPAM Adam halves ---------------------------------------------------------

    private static double SpamMoments<T>(ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> vmax, T beta1, T beta2, T stepSize, T denomScale, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c1 = T.One - beta1, c2 = T.One - beta2;
        bool ams = !vmax.IsEmpty;
        double total = 0;
        for (int i = 0; i < g.Length; i++)
        {
            T gi = g[i];
            T mi = (beta1 * m[i]) + (c1 * gi);
            T vi = (beta2 * v[i]) + (c2 * gi * gi);
            m[i] = mi;
            v[i] = vi;
            if (ams)
            {
                vi = T.Max(vmax[i], vi);
                vmax[i] = vi;
            }

            double u = double.CreateTruncating(stepSize * mi / ((T.Sqrt(vi) * denomScale) + eps));
            total += u * u;
        }

        return total;
    }

    private static void SpamApplyUpdate<T>(Span<T> p, ReadOnlySpan<T> m, ReadOnlySpan<T> v, T stepSize, T denomScale, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < p.Length; i++)
        {
            p[i] -= stepSize * m[i] / ((T.Sqrt(v[i]) * denomScale) + eps);
        }
    }

    // ---- power shaping -------------------------------------------------------------------------

    private static double PowerShapeParallel<T>(Storage values, int count, double inverseScale, double alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T inv = T.CreateTruncating(inverseScale), a = T.CreateTruncating(alpha);
        // pow is ~20 element operations, so it pays to split tensors of a few thousand elements.
        int chunks = CpuParallel.ChunkCount(count, 20);
        if (chunks <= 1)
        {
            return PowerShape(Span<T>(values, count), inv, a);
        }

        double[] partial = ArrayPool<double>.Shared.Rent(chunks);
        try
        {
            Parallel.For(0, chunks, c =>
            {
                int start = CpuParallel.Start(c, chunks, count), end = CpuParallel.Start(c + 1, chunks, count);
                partial[c] = PowerShape(Span<T>(values, count)[start..end], inv, a);
            });
            double total = 0;
            for (int c = 0; c < chunks; c++)
            {
                total += partial[c];
            }

            return total;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    private static double PowerShape<T>(Span<T> values, T inverseScale, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> magnitude = stackalloc T[Block];
        double total = 0;
        for (int start = 0; start < values.Length; start += Block)
        {
            Span<T> block = values.Slice(start, Math.Min(Block, values.Length - start));
            Span<T> m = magnitude[..block.Length];
            TensorPrimitives.Abs(block, m);
            TensorPrimitives.Multiply(m, inverseScale, m);
            TensorPrimitives.Pow(m, alpha, m);
            // pow(0, a) = 0 for a > 0, and copysign keeps sign(0) = 0 (a signed zero).
            TensorPrimitives.CopySign(m, block, block);
            total += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(block));
        }

        return total;
    }

    private static double PowerSum<T>(ReadOnlySpan<T> values, T p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> work = stackalloc T[Block];
        double total = 0;
        for (int start = 0; start < values.Length; start += Block)
        {
            ReadOnlySpan<T> block = values.Slice(start, Math.Min(Block, values.Length - start));
            Span<T> w = work[..block.Length];
            TensorPrimitives.Abs(block, w);
            TensorPrimitives.Pow(w, p, w);
            total += double.CreateTruncating(TensorPrimitives.Sum<T>(w));
        }

        return total;
    }

    // ---- clamp, spike clip, AdaClip: compare and select ----------------------------------------

    private static void ClampValue<T>(Span<T> values, T limit)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Comparisons with NaN are false, so NaN entries are selected unchanged.
        var hi = new Vector<T>(limit);
        var lo = -hi;
        int i = 0;
        for (; i <= values.Length - Vector<T>.Count; i += Vector<T>.Count)
        {
            var v = Vector.LoadUnsafe(ref values[i]);
            v = Vector.ConditionalSelect(Vector.GreaterThan(v, hi), hi, v);
            v = Vector.ConditionalSelect(Vector.LessThan(v, lo), lo, v);
            v.StoreUnsafe(ref values[i]);
        }

        for (; i < values.Length; i++)
        {
            T x = values[i];
            values[i] = x > limit ? limit : x < -limit ? -limit : x;
        }
    }

    private static int SpikeClip<T>(Span<T> g, ReadOnlySpan<T> v, T theta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int clipped = 0;
        int i = 0;
        var th = new Vector<T>(theta);
        for (; i <= g.Length - Vector<T>.Count; i += Vector<T>.Count)
        {
            var gv = Vector.LoadUnsafe(ref g[i]);
            var bound = th * Vector.LoadUnsafe(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v), (nuint)i);
            var spike = Vector.GreaterThan(gv * gv, bound);
            if (spike == Vector<T>.Zero)
            {
                continue;
            }

            // Spikes are rare: finish this vector element by element.
            for (int j = i; j < i + Vector<T>.Count; j++)
            {
                clipped += SpikeClipOne(ref g[j], v[j], theta);
            }
        }

        for (; i < g.Length; i++)
        {
            clipped += SpikeClipOne(ref g[i], v[i], theta);
        }

        return clipped;
    }

    private static int SpikeClipOne<T>(ref T g, T v, T theta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T bound = theta * v;
        if (g * g > bound)
        {
            g = T.CopySign(T.Sqrt(bound), g);
            return 1;
        }

        return 0;
    }

    private static int AdaClip<T>(Span<T> values, T threshold, T factor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int clipped = 0;
        var thr = new Vector<T>(threshold);
        var f = new Vector<T>(factor);
        int i = 0;
        for (; i <= values.Length - Vector<T>.Count; i += Vector<T>.Count)
        {
            var v = Vector.LoadUnsafe(ref values[i]);
            var over = Vector.GreaterThan(Vector.Abs(v), thr);
            if (over == Vector<T>.Zero)
            {
                continue;
            }

            Vector.ConditionalSelect(over, v * f, v).StoreUnsafe(ref values[i]);
            for (int j = 0; j < Vector<T>.Count; j++)
            {
                clipped += over[j] == T.Zero ? 0 : 1;
            }
        }

        for (; i < values.Length; i++)
        {
            if (T.Abs(values[i]) > threshold)
            {
                values[i] *= factor;
                clipped++;
            }
        }

        return clipped;
    }

    // ---- shrinkage -----------------------------------------------------------------------------

    private static void ShrinkParallel<T>(Storage values, int count, ShrinkFunction function, double scale, double k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = function == ShrinkFunction.HardClamp ? 1 : CpuParallel.ChunkCount(count, 20);
        if (chunks <= 1)
        {
            Shrink(Span<T>(values, count), function, scale, k);
            return;
        }

        Parallel.For(0, chunks, c =>
            Shrink(Span<T>(values, count)[CpuParallel.Start(c, chunks, count)..CpuParallel.Start(c + 1, chunks, count)], function, scale, k));
    }

    private static void Shrink<T>(Span<T> values, ShrinkFunction function, double scale, double k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (function == ShrinkFunction.HardClamp)
        {
            ClampValue(values, T.CreateTruncating(k * scale));
            return;
        }

        Span<T> work = stackalloc T[Block];
        T one = T.One;
        // GaussGate: e = (z^2 - k^2)/2 = (y * sqrt(1/2)/s)^2 - k^2/2. SoftClip, CauchyScore: (z/k)^2 = (y/(k s))^2.
        T factor = T.CreateTruncating(function == ShrinkFunction.GaussGate ? Math.Sqrt(0.5) / scale : 1 / (k * scale));
        T halfK2 = T.CreateTruncating(0.5 * k * k);
        T cutoff = T.CreateTruncating(80.0);
        for (int start = 0; start < values.Length; start += Block)
        {
            Span<T> block = values.Slice(start, Math.Min(Block, values.Length - start));
            Span<T> w = work[..block.Length];
            TensorPrimitives.Multiply(block, factor, w);
            TensorPrimitives.Multiply(w, w, w);
            switch (function)
            {
                case ShrinkFunction.GaussGate:
                    TensorPrimitives.Subtract(w, halfK2, w);
                    // Beyond e = 80 the gate is below 1e-34: the output is defined as exactly 0
                    // (an infinite denominator), which also keeps exp from overflowing silently.
                    for (int j = 0; j < w.Length; j++)
                    {
                        if (w[j] > cutoff)
                        {
                            w[j] = T.PositiveInfinity;
                        }
                    }

                    TensorPrimitives.Exp(w, w);
                    TensorPrimitives.Add(w, one, w);
                    break;
                case ShrinkFunction.SoftClip:
                    TensorPrimitives.Add(w, one, w);
                    TensorPrimitives.Sqrt(w, w);
                    break;
                case ShrinkFunction.CauchyScore:
                    TensorPrimitives.Add(w, one, w);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(function), function, "shrink: unknown function");
            }

            TensorPrimitives.Divide(block, w, block);
        }
    }

    // ---- median of |nonzero| -------------------------------------------------------------------

    private static double MedianAbsNonZero<T>(ReadOnlySpan<T> values, int sampleCap, out int nonZero)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int stride = sampleCap > 0 && values.Length > sampleCap ? (values.Length + sampleCap - 1) / sampleCap : 1;
        int capacity = (values.Length + stride - 1) / stride;
        double[] scratch = ArrayPool<double>.Shared.Rent(Math.Max(capacity, 1));
        try
        {
            int n = 0;
            for (int i = 0; i < values.Length; i += stride)
            {
                double a = Math.Abs(double.CreateTruncating(values[i]));
                if (a != 0 && double.IsFinite(a))
                {
                    scratch[n++] = a;
                }
            }

            nonZero = n;
            if (n == 0)
            {
                return 0;
            }

            Span<double> s = scratch.AsSpan(0, n);
            int upper = n / 2;
            double hi = QuickSelect(s, upper);
            if ((n & 1) == 1)
            {
                return hi;
            }

            // After selecting index n/2, everything left of it is <= it: the other middle value is their maximum.
            double lo = TensorPrimitives.Max<double>(s[..upper]);
            return 0.5 * (lo + hi);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }

    /// <summary>Rearranges <paramref name="s"/> so that index <paramref name="k"/> holds the k-th smallest value, smaller ones left of it; returns it (Hoare partition, median-of-three pivot).</summary>
    private static double QuickSelect(Span<double> s, int k)
    {
        int left = 0, right = s.Length - 1;
        while (right > left)
        {
            int mid = left + ((right - left) >> 1);
            // Median of three as the pivot keeps sorted and reversed inputs linear.
            if (s[mid] < s[left]) { (s[mid], s[left]) = (s[left], s[mid]); }
            if (s[right] < s[left]) { (s[right], s[left]) = (s[left], s[right]); }
            if (s[right] < s[mid]) { (s[right], s[mid]) = (s[mid], s[right]); }
            double pivot = s[mid];
            int i = left, j = right;
            while (i <= j)
            {
                while (s[i] < pivot) { i++; }
                while (s[j] > pivot) { j--; }
                if (i <= j)
                {
                    (s[i], s[j]) = (s[j], s[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                right = j;
            }
            else if (k >= i)
            {
                left = i;
            }
            else
            {
                return s[k];
            }
        }

        return s[k];
    }
}
