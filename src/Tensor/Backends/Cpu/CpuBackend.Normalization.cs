using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Spamp.Memory;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// Elements of a row handled per step in the backward passes: the recomputed xhat and
    /// weight * dy blocks live on the stack (2 x 4 KiB for float32) next to the row in L1.
    /// </summary>
    private const int NormBlock = 1024;

    /// <inheritdoc/>
    public override void LayerNorm(Storage x, int rows, int cols, Storage? weight, Storage? bias, double eps, bool rms,
        Storage y, Storage? mean, Storage rstd)
    {
        switch (x.DType)
        {
            case DType.Float32:
                RunLayerNorm(new LayerNormBody<float>(Ptr<float>(x), cols, OrNull<float>(weight), OrNull<float>(bias), eps, rms,
                    Ptr<float>(y), OrNull<float>(mean), Ptr<float>(rstd)), rows, cols);
                break;
            case DType.Float64:
                RunLayerNorm(new LayerNormBody<double>(Ptr<double>(x), cols, OrNull<double>(weight), OrNull<double>(bias), eps, rms,
                    Ptr<double>(y), OrNull<double>(mean), Ptr<double>(rstd)), rows, cols);
                break;
            default: throw Unsupported("layer_norm", x.DType);
        }
    }

    /// <inheritdoc/>
    public override void LayerNormBackward(Storage x, Storage gradOutput, Storage? mean, Storage rstd, Storage? weight,
        int rows, int cols, bool rms, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
    {
        switch (x.DType)
        {
            case DType.Float32: LayerNormBackward<float>(x, gradOutput, mean, rstd, weight, rows, cols, rms, gradInput, gradWeight, gradBias); break;
            case DType.Float64: LayerNormBackward<double>(x, gradOutput, mean, rstd, weight, rows, cols, rms, gradInput, gradWeight, gradBias); break;
            default: throw Unsupported("layer_norm backward", x.DType);
        }
    }

    /// <inheritdoc/>
    public override void GroupNorm(Storage x, int batch, int channels, int spatial, int groups, Storage? weight, Storage? bias,
        double eps, Storage y, Storage mean, Storage rstd)
    {
        int perGroup = channels / groups;
        switch (x.DType)
        {
            case DType.Float32:
                CpuParallel.For(batch * groups, (long)perGroup * spatial * 4, new GroupNormBody<float>(Ptr<float>(x), channels, spatial, groups,
                    OrNull<float>(weight), OrNull<float>(bias), eps, Ptr<float>(y), Ptr<float>(mean), Ptr<float>(rstd)));
                break;
            case DType.Float64:
                CpuParallel.For(batch * groups, (long)perGroup * spatial * 4, new GroupNormBody<double>(Ptr<double>(x), channels, spatial, groups,
                    OrNull<double>(weight), OrNull<double>(bias), eps, Ptr<double>(y), Ptr<double>(mean), Ptr<double>(rstd)));
                break;
            default: throw Unsupported("group_norm", x.DType);
        }
    }

    /// <inheritdoc/>
    public override void GroupNormBackward(Storage x, Storage gradOutput, Storage mean, Storage rstd, Storage? weight,
        int batch, int channels, int spatial, int groups, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
    {
        switch (x.DType)
        {
            case DType.Float32: GroupNormBackward<float>(x, gradOutput, mean, rstd, weight, batch, channels, spatial, groups, gradInput, gradWeight, gradBias); break;
            case DType.Float64: GroupNormBackward<double>(x, gradOutput, mean, rstd, weight, batch, channels, spatial, groups, gradInput, gradWeight, gradBias); break;
            default: throw Unsupported("group_norm backward", x.DType);
        }
    }

    /// <summary>dst = x * scale + shift in one pass (TensorPrimitives has no scalar-scalar multiply-add).</summary>
    private static void ScaleShift<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<T>.Count)
        {
            Vector512<T> s = Vector512.Create(scale), b = Vector512.Create(shift);
            ref T xs = ref MemoryMarshal.GetReference(x);
            ref T ds = ref MemoryMarshal.GetReference(dst);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                ((Vector512.LoadUnsafe(ref xs, (nuint)i) * s) + b).StoreUnsafe(ref ds, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<T>.Count)
        {
            Vector256<T> s = Vector256.Create(scale), b = Vector256.Create(shift);
            ref T xs = ref MemoryMarshal.GetReference(x);
            ref T ds = ref MemoryMarshal.GetReference(dst);
            for (; i <= x.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                ((Vector256.LoadUnsafe(ref xs, (nuint)i) * s) + b).StoreUnsafe(ref ds, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            dst[i] = (x[i] * scale) + shift;
        }
    }

    private static T* OrNull<T>(Storage? storage) where T : unmanaged => storage is null ? null : Ptr<T>(storage);

    private static void RunLayerNorm<T>(LayerNormBody<T> body, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows > 0)
        {
            CpuParallel.For(rows, (long)cols * 4, body);
        }
    }

    /// <summary>
    /// The mean of <paramref name="x"/> and the sum of squares of <paramref name="centered"/> = x - mean
    /// (written there), both accumulated in double over blocks (<see cref="AccurateSum"/>), so a long
    /// row loses no more than float32 rounding of its elements.
    /// </summary>
    private static (double Mean, double Variance) CenteredMoments<T>(ReadOnlySpan<T> x, Span<T> centered, bool rms)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (rms)
        {
            return (0, double.CreateTruncating(AccurateSum.Dot(x, x)) / n);
        }

        double mean = double.CreateTruncating(AccurateSum.Sum(x)) / n;
        TP.Subtract(x, T.CreateTruncating(mean), centered);
        ReadOnlySpan<T> c = centered;
        return (mean, double.CreateTruncating(AccurateSum.Dot(c, c)) / n);
    }

    private readonly struct LayerNormBody<T>(T* x, int cols, T* weight, T* bias, double eps, bool rms, T* y, T* mean, T* rstd) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var xr = new ReadOnlySpan<T>(x + ((long)r * cols), cols);
                var yr = new Span<T>(y + ((long)r * cols), cols);
                var (m, variance) = CenteredMoments(xr, yr, rms);
                double s = 1 / Math.Sqrt(variance + eps);
                if (mean != null)
                {
                    mean[r] = T.CreateTruncating(m);
                }

                rstd[r] = T.CreateTruncating(s);
                // RMS norm scales x itself; layer norm scales the centered row already in y.
                TP.Multiply(rms ? xr : yr, T.CreateTruncating(s), yr);
                if (weight != null && bias != null)
                {
                    TP.FusedMultiplyAdd(yr, new ReadOnlySpan<T>(weight, cols), new ReadOnlySpan<T>(bias, cols), yr);
                }
                else if (weight != null)
                {
                    TP.Multiply(yr, new ReadOnlySpan<T>(weight, cols), yr);
                }
                else if (bias != null)
                {
                    TP.Add(yr, new ReadOnlySpan<T>(bias, cols), yr);
                }
            }
        }
    }

    private void LayerNormBackward<T>(Storage x, Storage gradOutput, Storage? mean, Storage rstd, Storage? weight,
        int rows, int cols, bool rms, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool partials = gradWeight is not null || gradBias is not null;
        // Rows are cut into a fixed number of chunks; each accumulates its own dweight/dbias row in
        // pooled scratch (no sharing between threads), and the chunk rows are added in double after.
        int chunks = Math.Max(1, CpuParallel.ChunkCount(rows, (long)cols * 8));
        Storage? scratch = partials ? Storage.Allocate(this, x.DType, chunks * 2 * cols) : null;
        try
        {
            T* partial = scratch is null ? null : Ptr<T>(scratch);
            if (partial != null)
            {
                new Span<T>(partial, chunks * 2 * cols).Clear();
            }

            var body = new LayerNormBackwardBody<T>(Ptr<T>(x), Ptr<T>(gradOutput), OrNull<T>(mean), Ptr<T>(rstd), OrNull<T>(weight),
                rows, cols, chunks, OrNull<T>(gradInput), partial, gradWeight is not null, gradBias is not null);
            if (rows > 0)
            {
                CpuParallel.For(chunks, long.MaxValue / chunks, body);
            }

            if (partial != null)
            {
                SumChunkRows(partial, chunks, cols, 0, OrNull<T>(gradWeight));
                SumChunkRows(partial, chunks, cols, cols, OrNull<T>(gradBias));
            }
        }
        finally
        {
            scratch?.Release();
        }
    }

    /// <summary>dst[c] = sum over chunks of partial[chunk * 2 * cols + offset + c], added in double.</summary>
    private static void SumChunkRows<T>(T* partial, int chunks, int cols, int offset, T* dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dst == null)
        {
            return;
        }

        for (int c = 0; c < cols; c++)
        {
            double total = 0;
            for (int k = 0; k < chunks; k++)
            {
                total += double.CreateTruncating(partial[((long)k * 2 * cols) + offset + c]);
            }

            dst[c] = T.CreateTruncating(total);
        }
    }

    private readonly struct LayerNormBackwardBody<T>(T* x, T* dy, T* mean, T* rstd, T* weight, int rows, int cols, int chunks,
        T* dx, T* partial, bool wantWeight, bool wantBias) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            Span<T> xhat = stackalloc T[Math.Min(NormBlock, Math.Max(cols, 1))];
            Span<T> g = stackalloc T[Math.Min(NormBlock, Math.Max(cols, 1))];
            for (int chunk = start; chunk < end; chunk++)
            {
                T* pw = partial == null ? null : partial + ((long)chunk * 2 * cols);
                T* pb = pw == null ? null : pw + cols;
                int r1 = CpuParallel.Start(chunk + 1, chunks, rows);
                for (int r = CpuParallel.Start(chunk, chunks, rows); r < r1; r++)
                {
                    Row(r, xhat, g, pw, pb);
                }
            }
        }

        /// <summary>xhat = (x - mean) * rstd = x * rstd - mean * rstd for one block.</summary>
        private void Normalized(T* xr, T s, T shift, int at, int n, Span<T> xhat) =>
            ScaleShift(new ReadOnlySpan<T>(xr + at, n), s, shift, xhat[..n]);

        private void Row(int r, Span<T> xhat, Span<T> g, T* pw, T* pb)
        {
            T* xr = x + ((long)r * cols), dyr = dy + ((long)r * cols);
            T s = rstd[r];
            T shift = mean == null ? T.Zero : -mean[r] * s;
            double sumG = 0, sumGX = 0;
            for (int at = 0; at < cols; at += NormBlock)
            {
                int n = Math.Min(NormBlock, cols - at);
                Normalized(xr, s, shift, at, n, xhat);
                var dyb = new ReadOnlySpan<T>(dyr + at, n);
                ReadOnlySpan<T> gb = dyb;
                if (weight != null)
                {
                    TP.Multiply(dyb, new ReadOnlySpan<T>(weight + at, n), g[..n]);
                    gb = g[..n];
                }

                if (dx != null)
                {
                    sumG += double.CreateTruncating(TP.Sum(gb));
                    sumGX += double.CreateTruncating(TP.Dot(gb, xhat[..n]));
                }

                if (wantWeight)
                {
                    var acc = new Span<T>(pw + at, n);
                    TP.MultiplyAdd(dyb, xhat[..n], acc, acc);
                }

                if (wantBias)
                {
                    var acc = new Span<T>(pb + at, n);
                    TP.Add(acc, dyb, acc);
                }
            }

            if (dx == null)
            {
                return;
            }

            // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) = g * rstd + xhat * a + b
            T a = T.CreateTruncating(-double.CreateTruncating(s) * sumGX / cols);
            T b = mean == null ? T.Zero : T.CreateTruncating(-double.CreateTruncating(s) * sumG / cols);
            T* dxr = dx + ((long)r * cols);
            for (int at = 0; at < cols; at += NormBlock)
            {
                int n = Math.Min(NormBlock, cols - at);
                Normalized(xr, s, shift, at, n, xhat);
                var dxb = new Span<T>(dxr + at, n);
                var dyb = new ReadOnlySpan<T>(dyr + at, n);
                if (weight != null)
                {
                    TP.Multiply(dyb, new ReadOnlySpan<T>(weight + at, n), dxb);
                    TP.Multiply(dxb, s, dxb);
                }
                else
                {
                    TP.Multiply(dyb, s, dxb);
                }

                TP.MultiplyAdd(xhat[..n], a, dxb, dxb);
                if (mean != null)
                {
                    TP.Add(dxb, b, dxb);
                }
            }
        }
    }

    private readonly struct GroupNormBody<T>(T* x, int channels, int spatial, int groups, T* weight, T* bias, double eps, T* y, T* mean, T* rstd) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            int perGroup = channels / groups;
            int length = perGroup * spatial;
            for (int row = start; row < end; row++)
            {
                // Row (n, g) is contiguous: channels g*perGroup .. of sample n, each spatial long.
                long at = (long)row * length;
                var xr = new ReadOnlySpan<T>(x + at, length);
                var (m, variance) = CenteredMoments(xr, new Span<T>(y + at, length), rms: false);
                double s = 1 / Math.Sqrt(variance + eps);
                mean[row] = T.CreateTruncating(m);
                rstd[row] = T.CreateTruncating(s);
                int c0 = row % groups * perGroup;
                for (int k = 0; k < perGroup; k++)
                {
                    // y = x * scale + shift with the channel's affine folded into both.
                    double scale = weight != null ? s * double.CreateTruncating(weight[c0 + k]) : s;
                    double shift = (bias != null ? double.CreateTruncating(bias[c0 + k]) : 0) - (m * scale);
                    long ck = at + ((long)k * spatial);
                    ScaleShift(new ReadOnlySpan<T>(x + ck, spatial), T.CreateTruncating(scale), T.CreateTruncating(shift), new Span<T>(y + ck, spatial));
                }
            }
        }
    }

    private void GroupNormBackward<T>(Storage x, Storage gradOutput, Storage mean, Storage rstd, Storage? weight,
        int batch, int channels, int spatial, int groups, Storage? gradInput, Storage? gradWeight, Storage? gradBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Per (sample, channel) sums of dy and dy * x, in double: the row pass needs them for dx and
        // the channel pass below turns them into dweight and dbias without sharing between threads.
        Storage sums = Storage.Allocate(this, DType.Float64, 2 * batch * channels);
        try
        {
            double* sumDy = Ptr<double>(sums), sumDyX = sumDy + ((long)batch * channels);
            int perGroup = channels / groups;
            CpuParallel.For(batch * groups, (long)perGroup * spatial * 6, new GroupNormBackwardBody<T>(Ptr<T>(x), Ptr<T>(gradOutput),
                Ptr<T>(mean), Ptr<T>(rstd), OrNull<T>(weight), channels, spatial, groups, OrNull<T>(gradInput), sumDy, sumDyX));
            T* m = Ptr<T>(mean), s = Ptr<T>(rstd);
            T* dw = OrNull<T>(gradWeight), db = OrNull<T>(gradBias);
            for (int c = 0; c < channels; c++)
            {
                double w = 0, b = 0;
                for (int n = 0; n < batch; n++)
                {
                    long nc = ((long)n * channels) + c;
                    int row = (n * groups) + (c / perGroup);
                    w += (sumDyX[nc] - (double.CreateTruncating(m[row]) * sumDy[nc])) * double.CreateTruncating(s[row]);
                    b += sumDy[nc];
                }

                if (dw != null)
                {
                    dw[c] = T.CreateTruncating(w);
                }

                if (db != null)
                {
                    db[c] = T.CreateTruncating(b);
                }
            }
        }
        finally
        {
            sums.Release();
        }
    }

    private readonly struct GroupNormBackwardBody<T>(T* x, T* dy, T* mean, T* rstd, T* weight, int channels, int spatial, int groups,
        T* dx, double* sumDy, double* sumDyX) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(int start, int end)
        {
            int perGroup = channels / groups;
            int length = perGroup * spatial;
            for (int row = start; row < end; row++)
            {
                int n = row / groups, c0 = row % groups * perGroup;
                long at = (long)row * length;
                double m = double.CreateTruncating(mean[row]), s = double.CreateTruncating(rstd[row]);
                double sumG = 0, sumGX = 0;
                for (int k = 0; k < perGroup; k++)
                {
                    long ck = at + ((long)k * spatial);
                    var dyc = new ReadOnlySpan<T>(dy + ck, spatial);
                    double sd = double.CreateTruncating(AccurateSum.Sum(dyc));
                    double sdx = double.CreateTruncating(AccurateSum.Dot(dyc, new ReadOnlySpan<T>(x + ck, spatial)));
                    long nc = ((long)n * channels) + c0 + k;
                    sumDy[nc] = sd;
                    sumDyX[nc] = sdx;
                    double w = weight != null ? double.CreateTruncating(weight[c0 + k]) : 1;
                    sumG += w * sd;
                    sumGX += w * s * (sdx - (m * sd)); // sum of g * xhat over the channel
                }

                if (dx == null)
                {
                    continue;
                }

                // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) = (rstd w_c) dy + a x + b
                double meanG = sumG / length, meanGX = sumGX / length;
                T a = T.CreateTruncating(-s * s * meanGX);
                T b = T.CreateTruncating(s * ((m * s * meanGX) - meanG));
                for (int k = 0; k < perGroup; k++)
                {
                    long ck = at + ((long)k * spatial);
                    double w = weight != null ? double.CreateTruncating(weight[c0 + k]) : 1;
                    var dxc = new Span<T>(dx + ck, spatial);
                    TP.Multiply(new ReadOnlySpan<T>(dy + ck, spatial), T.CreateTruncating(s * w), dxc);
                    TP.MultiplyAdd(new ReadOnlySpan<T>(x + ck, spatial), a, dxc, dxc);
                    TP.Add(dxc, b, dxc);
                }
            }
        }
    }
}
