using System.Numerics;
using Spamp.Memory;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Convolution as unrolled patches times the packed GEMM, one image at a time:
/// <code>
/// forward          y[n, group]  = W[group] @ im2col(x[n, group])             [C_out/g, OutPlane]
/// backward input   dx[n, group] = col2im(W[group]^T @ dy[n, group])           [C_in/g, InPlane]
/// backward weight  dW[group]   += dy[n, group] @ im2col(x[n, group])^T         [C_out/g, PatchSize]
/// </code>
/// A 1x1 kernel with stride 1 and no padding uses the image itself as the patch matrix.
/// <para>
/// Parallelism: when the batch has at least as many images as there are cores, chunks of images run
/// on different cores, each with its own patch scratch and single-threaded GEMMs (no synchronisation
/// inside an image, and each core's GEMM packing stays in its own caches); the weight gradient is
/// summed per chunk and the chunk sums added at the end. A smaller batch runs image by image with
/// the GEMM itself split across cores. Patch matrices come from the caching allocator, so after the
/// first call no fresh pages are touched.
/// </para>
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public override void Conv2d(Storage input, Storage weight, Storage? bias, Storage output, in Conv2dGeometry geometry)
    {
        switch (output.DType)
        {
            case DType.Float32: RunConv(new ConvForward<float>(Ptr<float>(input), Ptr<float>(weight), bias is null ? null : Ptr<float>(bias), Ptr<float>(output), geometry), DType.Float32); break;
            case DType.Float64: RunConv(new ConvForward<double>(Ptr<double>(input), Ptr<double>(weight), bias is null ? null : Ptr<double>(bias), Ptr<double>(output), geometry), DType.Float64); break;
            default: throw Unsupported("conv2d", output.DType);
        }
    }

    /// <inheritdoc/>
    public override void Conv2dBackwardInput(Storage gradOutput, Storage weight, Storage gradInput, in Conv2dGeometry geometry)
    {
        if (TransposedAsForward(geometry) is { } transposed)
        {
            BackwardInputAsForward(gradOutput, weight, gradInput, geometry, transposed);
            return;
        }

        switch (gradInput.DType)
        {
            case DType.Float32: RunConv(new ConvBackwardInput<float>(Ptr<float>(gradOutput), Ptr<float>(weight), Ptr<float>(gradInput), geometry), DType.Float32); break;
            case DType.Float64: RunConv(new ConvBackwardInput<double>(Ptr<double>(gradOutput), Ptr<double>(weight), Ptr<double>(gradInput), geometry), DType.Float64); break;
            default: throw Unsupported("conv2d backward (input)", gradInput.DType);
        }
    }

    /// <inheritdoc/>
    public override void Conv2dBackwardWeight(Storage input, Storage gradOutput, Storage gradWeight, Storage? gradBias, in Conv2dGeometry geometry)
    {
        switch (gradWeight.DType)
        {
            case DType.Float32: RunConv(new ConvBackwardWeight<float>(Ptr<float>(input), Ptr<float>(gradOutput), Ptr<float>(gradWeight), OptPtr<float>(gradBias), geometry), DType.Float32); break;
            case DType.Float64: RunConv(new ConvBackwardWeight<double>(Ptr<double>(input), Ptr<double>(gradOutput), Ptr<double>(gradWeight), OptPtr<double>(gradBias), geometry), DType.Float64); break;
            default: throw Unsupported("conv2d backward (weight)", gradWeight.DType);
        }
    }

    /// <summary>
    /// For stride 1, the input gradient is itself a convolution: dy convolved with the weight flipped
    /// in space and transposed in channels, padded by dilation*(k-1) - pad on each side. That runs as
    /// the forward kernel (GEMM depth C_out*kH*kW) with no col2im pass, which is faster than
    /// W^T dy (depth C_out/groups) followed by col2im. Returns its geometry, or null when the rule does
    /// not apply (strided, a 1x1 kernel handled directly, or padding wider than the kernel span).
    /// </summary>
    private static Conv2dGeometry? TransposedAsForward(in Conv2dGeometry g)
    {
        int spanH = g.DilationHeight * (g.KernelHeight - 1), spanW = g.DilationWidth * (g.KernelWidth - 1);
        // The transposed convolution's GEMM has C_in/groups rows: too few (depthwise, a first layer's
        // input) leave the micro-kernel mostly idle, and W^T dy + col2im is faster.
        if (g.StrideHeight != 1 || g.StrideWidth != 1 || g.IsPointwise || g.InChannelsPerGroup < 16
            || g.PadTop > spanH || g.PadBottom > spanH || g.PadLeft > spanW || g.PadRight > spanW)
        {
            return null;
        }

        return g with
        {
            InChannels = g.OutChannels,
            InHeight = g.OutHeight,
            InWidth = g.OutWidth,
            OutChannels = g.InChannels,
            OutHeight = g.InHeight,
            OutWidth = g.InWidth,
            PadTop = spanH - g.PadTop,
            PadBottom = spanH - g.PadBottom,
            PadLeft = spanW - g.PadLeft,
            PadRight = spanW - g.PadRight,
        };
    }

    private void BackwardInputAsForward(Storage gradOutput, Storage weight, Storage gradInput, in Conv2dGeometry g, in Conv2dGeometry t)
    {
        Storage flipped = Storage.Allocate(this, weight.DType, g.WeightShape.Numel);
        try
        {
            switch (gradInput.DType)
            {
                case DType.Float32:
                    FlipTranspose(Ptr<float>(weight), Ptr<float>(flipped), g);
                    RunConv(new ConvForward<float>(Ptr<float>(gradOutput), Ptr<float>(flipped), null, Ptr<float>(gradInput), t), DType.Float32);
                    break;
                case DType.Float64:
                    FlipTranspose(Ptr<double>(weight), Ptr<double>(flipped), g);
                    RunConv(new ConvForward<double>(Ptr<double>(gradOutput), Ptr<double>(flipped), null, Ptr<double>(gradInput), t), DType.Float64);
                    break;
                default: throw Unsupported("conv2d backward (input)", gradInput.DType);
            }
        }
        finally
        {
            flipped.Release();
        }
    }

    /// <summary>w'[group*cig + c, o, kH-1-i, kW-1-j] = w[group*cog + o, c, i, j]: the weight of the transposed convolution.</summary>
    private static void FlipTranspose<T>(T* w, T* flipped, in Conv2dGeometry g) where T : unmanaged
    {
        int cig = g.InChannelsPerGroup, cog = g.OutChannelsPerGroup, kh = g.KernelHeight, kw = g.KernelWidth, taps = kh * kw;
        for (int group = 0; group < g.Groups; group++)
        {
            for (int o = 0; o < cog; o++)
            {
                for (int c = 0; c < cig; c++)
                {
                    T* src = w + ((((long)group * cog) + o) * cig + c) * taps;
                    T* dst = flipped + ((((long)group * cig) + c) * cog + o) * taps;
                    for (int k = 0; k < taps; k++)
                    {
                        dst[taps - 1 - k] = src[k];
                    }
                }
            }
        }
    }

    /// <summary>One direction of the convolution, split into chunks of images.</summary>
    private interface IConvJob
    {
        Conv2dGeometry Geometry { get; }

        /// <summary>Elements of scratch one chunk needs besides its patch matrix (the weight-gradient partial sum).</summary>
        long ExtraScratchPerChunk { get; }

        /// <summary>Processes images [start, end) with the chunk's scratch; <paramref name="parallelGemm"/> when this is the only chunk.</summary>
        void Run(int chunk, int start, int end, byte* scratch, bool parallelGemm);

        /// <summary>Combines the chunks' partial results (weight gradient), after all chunks ran.</summary>
        void Finish(int chunks, byte* scratch, long scratchPerChunk);
    }

    private void RunConv<TJob>(TJob job, DType dtype) where TJob : struct, IConvJob
    {
        Conv2dGeometry g = job.Geometry;
        int batch = g.Batch;
        long macsPerImage = (long)g.OutChannels * g.PatchSize * g.OutPlane;
        int cores = Environment.ProcessorCount;

        // Images spread over cores when there are enough of them and enough work to pay for waking
        // workers; two chunks per core even out a core that is busy with something else.
        int chunks = cores < 2 || batch < cores || macsPerImage * batch < Gemm.ParallelThreshold
            ? 1
            : Math.Min(batch, cores * 2);
        long patchElements = g.IsPointwise ? 0 : (long)g.PatchSize * g.OutPlane;
        long perChunk = patchElements + job.ExtraScratchPerChunk;
        long total = perChunk * chunks;
        if (total > int.MaxValue)
        {
            throw new NotSupportedException($"conv2d: the patch scratch of {total} elements exceeds the 2^31 element limit; use a smaller batch or image");
        }

        Storage? scratch = total > 0 ? Storage.Allocate(this, dtype, (int)total) : null;
        try
        {
            byte* memory = scratch is null ? null : BytePtr(scratch);
            long bytesPerChunk = perChunk * dtype.SizeOf();
            if (chunks == 1)
            {
                job.Run(0, 0, batch, memory, parallelGemm: true);
            }
            else
            {
                Parallel.For(0, chunks, chunk =>
                {
                    TJob local = job;
                    local.Run(chunk, CpuParallel.Start(chunk, chunks, batch), CpuParallel.Start(chunk + 1, chunks, batch),
                        memory + (chunk * bytesPerChunk), parallelGemm: false);
                });
            }

            job.Finish(chunks, memory, bytesPerChunk);
        }
        finally
        {
            scratch?.Release();
        }
    }

    /// <summary>
    /// C = op(A) op(B) + beta C with the widest micro-kernel: through the parallel entry point when
    /// allowed, else on the calling thread (a chunk of images already owns a core).
    /// </summary>
    private static void ConvGemm<T>(bool parallel, bool transA, bool transB, int m, int n, int k,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc) where T : unmanaged, INumber<T>
    {
        if (k == 0)
        {
            // An empty sum (no input channels): C = beta C.
            for (int i = 0; i < m; i++)
            {
                var row = new Span<T>(c + ((long)i * ldc), n);
                if (beta == T.Zero)
                {
                    row.Clear();
                }
            }

            return;
        }

        if (GemmMicroKernel512<T>.IsSupported)
        {
            if (parallel)
            {
                Gemm.Run<T, GemmMicroKernel512<T>>(transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
            }
            else
            {
                GemmDriver<T, GemmMicroKernel512<T>>.Run(transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
            }
        }
        else if (GemmMicroKernel256<T>.IsSupported)
        {
            if (parallel)
            {
                Gemm.Run<T, GemmMicroKernel256<T>>(transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
            }
            else
            {
                GemmDriver<T, GemmMicroKernel256<T>>.Run(transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
            }
        }
        else if (parallel)
        {
            Gemm.Run<T, GemmMicroKernelScalar<T>>(transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
        }
        else
        {
            GemmDriver<T, GemmMicroKernelScalar<T>>.Run(transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
        }
    }

    private readonly struct ConvForward<T>(T* x, T* w, T* bias, T* y, Conv2dGeometry g) : IConvJob
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Conv2dGeometry Geometry => g;

        public long ExtraScratchPerChunk => 0;

        public void Run(int chunk, int start, int end, byte* scratch, bool parallelGemm)
        {
            T* columns = (T*)scratch;
            int cog = g.OutChannelsPerGroup, patch = g.PatchSize, outPlane = g.OutPlane;
            long inGroup = (long)g.InChannelsPerGroup * g.InPlane;
            for (int n = start; n < end; n++)
            {
                T* xn = x + ((long)n * g.InChannels * g.InPlane);
                T* yn = y + ((long)n * g.OutChannels * outPlane);
                for (int group = 0; group < g.Groups; group++)
                {
                    T* xg = xn + (group * inGroup);
                    T* patches = xg;
                    if (!g.IsPointwise)
                    {
                        Im2Col.Unroll(xg, columns, g);
                        patches = columns;
                    }

                    ConvGemm(parallelGemm, false, false, cog, outPlane, patch,
                        w + ((long)group * cog * patch), patch, patches, outPlane, T.Zero, yn + ((long)group * cog * outPlane), outPlane);
                }

                if (bias != null)
                {
                    for (int o = 0; o < g.OutChannels; o++)
                    {
                        var row = new Span<T>(yn + ((long)o * outPlane), outPlane);
                        TP.Add(row, bias[o], row);
                    }
                }
            }
        }

        public void Finish(int chunks, byte* scratch, long scratchPerChunk)
        {
        }
    }

    private readonly struct ConvBackwardInput<T>(T* dy, T* w, T* dx, Conv2dGeometry g) : IConvJob
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Conv2dGeometry Geometry => g;

        public long ExtraScratchPerChunk => 0;

        public void Run(int chunk, int start, int end, byte* scratch, bool parallelGemm)
        {
            T* columns = (T*)scratch;
            int cog = g.OutChannelsPerGroup, cig = g.InChannelsPerGroup, patch = g.PatchSize, outPlane = g.OutPlane;
            for (int n = start; n < end; n++)
            {
                T* dxn = dx + ((long)n * g.InChannels * g.InPlane);
                T* dyn = dy + ((long)n * g.OutChannels * outPlane);
                if (!g.IsPointwise)
                {
                    new Span<T>(dxn, g.InChannels * g.InPlane).Clear();
                }

                for (int group = 0; group < g.Groups; group++)
                {
                    T* wg = w + ((long)group * cog * patch);
                    T* dyg = dyn + ((long)group * cog * outPlane);
                    T* dxg = dxn + ((long)group * cig * g.InPlane);
                    if (g.IsPointwise)
                    {
                        // The patch matrix is the image: its gradient lands in dx directly.
                        ConvGemm(parallelGemm, true, false, patch, outPlane, cog, wg, patch, dyg, outPlane, T.Zero, dxg, outPlane);
                    }
                    else
                    {
                        ConvGemm(parallelGemm, true, false, patch, outPlane, cog, wg, patch, dyg, outPlane, T.Zero, columns, outPlane);
                        Im2Col.Fold(columns, dxg, g);
                    }
                }
            }
        }

        public void Finish(int chunks, byte* scratch, long scratchPerChunk)
        {
        }
    }

    /// <summary>
    /// dW^T[group] += im2col(x[n, group]) @ dy[n, group]^T, i.e. [PatchSize, C_out/g] per group, summed
    /// per chunk in scratch and transposed into dW at the end: with the long patch dimension as the
    /// GEMM's rows, the small dy operand is the packed B that stays in cache, which runs faster than
    /// dW = dy @ im2col^T (whose packed B would be the whole patch matrix).
    /// </summary>
    private readonly struct ConvBackwardWeight<T>(T* x, T* dy, T* dw, T* db, Conv2dGeometry g) : IConvJob
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private long WeightElements => (long)g.OutChannels * g.PatchSize;

        private long PatchElements => g.IsPointwise ? 0 : (long)g.PatchSize * g.OutPlane;

        public Conv2dGeometry Geometry => g;

        // Each chunk: its patch matrix, then its transposed weight-gradient sum, then its bias sum.
        public long ExtraScratchPerChunk => WeightElements + (db == null ? 0 : g.OutChannels);

        public void Run(int chunk, int start, int end, byte* scratch, bool parallelGemm)
        {
            T* columns = (T*)scratch;
            T* sum = columns + PatchElements;
            T* biasSum = db == null ? null : sum + WeightElements;
            int cog = g.OutChannelsPerGroup, patch = g.PatchSize, outPlane = g.OutPlane;
            long inGroup = (long)g.InChannelsPerGroup * g.InPlane;
            if (start == end)
            {
                new Span<T>(sum, (int)WeightElements).Clear();
                if (biasSum != null)
                {
                    new Span<T>(biasSum, g.OutChannels).Clear();
                }

                return;
            }

            for (int n = start; n < end; n++)
            {
                T* xn = x + ((long)n * g.InChannels * g.InPlane);
                T* dyn = dy + ((long)n * g.OutChannels * outPlane);
                T beta = n == start ? T.Zero : T.One;
                for (int group = 0; group < g.Groups; group++)
                {
                    T* xg = xn + (group * inGroup);
                    T* patches = xg;
                    if (!g.IsPointwise)
                    {
                        Im2Col.Unroll(xg, columns, g);
                        patches = columns;
                    }

                    ConvGemm(parallelGemm, false, true, patch, cog, outPlane,
                        patches, outPlane, dyn + ((long)group * cog * outPlane), outPlane, beta, sum + ((long)group * patch * cog), cog);
                }

                if (biasSum != null)
                {
                    // The bias gradient while this image's dy is still in cache.
                    for (int o = 0; o < g.OutChannels; o++)
                    {
                        T rowSum = TP.Sum(new ReadOnlySpan<T>(dyn + ((long)o * outPlane), outPlane));
                        biasSum[o] = n == start ? rowSum : biasSum[o] + rowSum;
                    }
                }
            }
        }

        public void Finish(int chunks, byte* scratch, long scratchPerChunk)
        {
            int cog = g.OutChannelsPerGroup, patch = g.PatchSize;
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                T* partial = (T*)(scratch + (chunk * scratchPerChunk)) + PatchElements;
                for (int group = 0; group < g.Groups; group++)
                {
                    T* src = partial + ((long)group * patch * cog);
                    T* dst = dw + ((long)group * cog * patch);
                    for (int o = 0; o < cog; o++)
                    {
                        T* row = dst + ((long)o * patch);
                        for (int r = 0; r < patch; r++)
                        {
                            T value = src[((long)r * cog) + o];
                            row[r] = chunk == 0 ? value : row[r] + value;
                        }
                    }
                }

                if (db != null)
                {
                    var bias = new Span<T>(db, g.OutChannels);
                    var part = new ReadOnlySpan<T>(partial + WeightElements, g.OutChannels);
                    if (chunk == 0)
                    {
                        part.CopyTo(bias);
                    }
                    else
                    {
                        TP.Add(bias, part, bias);
                    }
                }
            }
        }
    }
}
