using System.Numerics;
using Spamp.Memory;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// Query rows processed together. The score block of one head is never materialised whole:
    /// a block of this many rows by Tk keys (256 KiB of float32 at Tk = 1024) stays in L2 between
    /// the two GEMMs and the softmax, and with a causal mask a block only needs the keys up to its
    /// last row, so the masked upper triangle is mostly never computed.
    /// </summary>
    private const int AttentionRowBlock = 64;

    /// <inheritdoc/>
    /// <remarks>
    /// One (batch, head) at a time per worker (parallel over B*H), each with pooled scratch for one
    /// row block of scores; when there are fewer heads than cores the heads run in turn and the
    /// GEMMs split across cores instead.
    /// </remarks>
    public override void AttentionForward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, Storage logSumExp)
    {
        switch (query.Storage.DType)
        {
            case DType.Float32:
                RunAttention(new AttentionBody<float>(new AttentionProblem<float>(args, query, key, value, keyPaddingMask, attnMask, output, logSumExp)));
                break;
            case DType.Float64:
                RunAttention(new AttentionBody<double>(new AttentionProblem<double>(args, query, key, value, keyPaddingMask, attnMask, output, logSumExp)));
                break;
            default:
                throw Unsupported("scaled_dot_product_attention", query.Storage.DType);
        }
    }

    /// <inheritdoc/>
    public override void AttentionBackward(AttentionArgs args, BufferView query, BufferView key, BufferView value,
        BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, BufferView gradOutput, Storage logSumExp,
        BufferView gradQuery, BufferView gradKey, BufferView gradValue)
    {
        switch (query.Storage.DType)
        {
            case DType.Float32:
                RunAttention(new AttentionBody<float>(
                    new AttentionProblem<float>(args, query, key, value, keyPaddingMask, attnMask, output, logSumExp),
                    new AttentionGradients<float>(gradOutput, gradQuery, gradKey, gradValue)));
                break;
            case DType.Float64:
                RunAttention(new AttentionBody<double>(
                    new AttentionProblem<double>(args, query, key, value, keyPaddingMask, attnMask, output, logSumExp),
                    new AttentionGradients<double>(gradOutput, gradQuery, gradKey, gradValue)));
                break;
            default:
                throw Unsupported("scaled_dot_product_attention backward", query.Storage.DType);
        }
    }

    private static void RunAttention<T>(AttentionBody<T> body)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly AttentionProblem<T> p = ref body.Problem;
        int heads = p.Batch * p.Heads;
        if (heads == 0 || p.Tq == 0)
        {
            return;
        }

        // Heads in parallel (each GEMM on one core) when there are enough to keep every core busy;
        // otherwise one head after another with GEMMs that split across the cores.
        bool acrossHeads = heads >= Environment.ProcessorCount;
        body.ParallelGemm = !acrossHeads;
        long costPerHead = 4L * p.Tq * Math.Max(p.Tk, 1) * Math.Max(p.D + p.Dv, 1);
        if (acrossHeads)
        {
            CpuParallel.For(heads, costPerHead, body);
        }
        else
        {
            body.Execute(0, heads);
        }
    }

    /// <summary>One [rows, width] matrix per (batch, head) of a [B, H, T, width] view with unit inner stride.</summary>
    private readonly struct HeadMatrices<T>
        where T : unmanaged
    {
        private readonly T* _origin;
        private readonly int _batchStride, _headStride;

        public HeadMatrices(BufferView view)
        {
            ReadOnlySpan<int> s = view.Layout.Strides;
            _origin = Ptr<T>(view.Storage) + view.Layout.Offset;
            _batchStride = s[0];
            _headStride = s[1];
            int width = view.Layout.Shape[3];

            // A one-row matrix may carry any row stride; the GEMM only needs one at least as wide as a row.
            RowStride = view.Layout.Shape[2] == 1 ? Math.Max(width, 1) : s[2];
        }

        /// <summary>Elements between consecutive rows (the GEMM's leading dimension).</summary>
        public int RowStride { get; }

        public T* At(int b, int h) => _origin + ((long)b * _batchStride) + ((long)h * _headStride);
    }

    /// <summary>Everything forward and backward share: sizes, operands, masks and the dropout stream.</summary>
    private readonly struct AttentionProblem<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly int Batch, Heads, Tq, Tk, D, Dv;
        public readonly T Scale;
        public readonly bool Causal;
        public readonly HeadMatrices<T> Q, K, V, O;
        public readonly T* LogSumExp;

        // Key padding mask [B, Tk] (Bool) and attention mask expanded to [B, H, Tq, Tk] (Bool or T).
        private readonly byte* _padding;
        private readonly int _paddingBatchStride, _paddingKeyStride;
        private readonly byte* _boolMask;
        private readonly T* _addMask;
        private readonly int _maskB, _maskH, _maskI, _maskJ;

        // Dropout: keep when the 24-bit draw is below the threshold, survivors scaled by 1/(1-p).
        public readonly bool Dropout;
        private readonly ulong _seed, _offset;
        private readonly uint _keepThreshold;
        private readonly T _keepScale;

        public AttentionProblem(AttentionArgs args, BufferView query, BufferView key, BufferView value,
            BufferView? keyPaddingMask, BufferView? attnMask, BufferView output, Storage logSumExp)
        {
            Shape qs = query.Layout.Shape;
            (Batch, Heads, Tq, D) = (qs[0], qs[1], qs[2], qs[3]);
            Tk = key.Layout.Shape[2];
            Dv = value.Layout.Shape[3];
            Scale = T.CreateTruncating(args.Scale);
            Causal = args.IsCausal;
            Q = new HeadMatrices<T>(query);
            K = new HeadMatrices<T>(key);
            V = new HeadMatrices<T>(value);
            O = new HeadMatrices<T>(output);
            LogSumExp = Ptr<T>(logSumExp);
            if (keyPaddingMask is { } padding)
            {
                _padding = Ptr<byte>(padding.Storage) + padding.Layout.Offset;
                _paddingBatchStride = padding.Layout.Strides[0];
                _paddingKeyStride = padding.Layout.Strides[1];
            }

            if (attnMask is { } mask)
            {
                ReadOnlySpan<int> s = mask.Layout.Strides;
                (_maskB, _maskH, _maskI, _maskJ) = (s[0], s[1], s[2], s[3]);
                if (mask.Storage.DType == DType.Bool)
                {
                    _boolMask = Ptr<byte>(mask.Storage) + mask.Layout.Offset;
                }
                else
                {
                    _addMask = Ptr<T>(mask.Storage) + mask.Layout.Offset;
                }
            }

            Dropout = args.DropoutP > 0;
            if (Dropout)
            {
                _seed = args.DropoutSeed;
                _offset = args.DropoutOffset;
                double keep = 1 - args.DropoutP;
                _keepThreshold = (uint)Math.Ceiling(keep * 16777216.0);
                _keepScale = keep > 0 ? T.CreateTruncating(1 / keep) : T.Zero;
            }
        }

        /// <summary>
        /// Applies the masks to the scores of query row <paramref name="i"/> (the first
        /// <paramref name="keys"/> keys are present) and returns how many leading keys the causal
        /// mask leaves; the caller ignores the rest.
        /// </summary>
        public int MaskRow(T* row, int b, int h, int i, int keys)
        {
            int limit = Causal ? Math.Min(keys, i + 1) : keys;
            if (_padding != null)
            {
                byte* pad = _padding + ((long)b * _paddingBatchStride);
                for (int j = 0; j < limit; j++)
                {
                    if (pad[(long)j * _paddingKeyStride] != 0)
                    {
                        row[j] = T.NegativeInfinity;
                    }
                }
            }

            long maskRow = ((long)b * _maskB) + ((long)h * _maskH) + ((long)i * _maskI);
            if (_boolMask != null)
            {
                byte* m = _boolMask + maskRow;
                for (int j = 0; j < limit; j++)
                {
                    if (m[(long)j * _maskJ] == 0)
                    {
                        row[j] = T.NegativeInfinity;
                    }
                }
            }
            else if (_addMask != null)
            {
                T* m = _addMask + maskRow;
                if (_maskJ == 1)
                {
                    var span = new Span<T>(row, limit);
                    TP.Add(span, new ReadOnlySpan<T>(m, limit), span);
                }
                else
                {
                    for (int j = 0; j < limit; j++)
                    {
                        row[j] += m[(long)j * _maskJ];
                    }
                }
            }

            return limit;
        }

        /// <summary>
        /// Writes the dropout factor (1/(1-p) or 0) of weights [0, count) of row (b, h, i): weight j is
        /// element ((b*H + h)*Tq + i)*Tk + j of a bernoulli(1-p) draw at (seed, offset).
        /// </summary>
        public void DropoutFactors(int b, int h, int i, int count, T* factors)
        {
            long start = ((((long)b * Heads) + h) * Tq + i) * Tk;
            long end = start + count;
            uint k0 = (uint)_seed, k1 = (uint)(_seed >> 32);
            const int BatchBlocks = 64;
            Span<uint> words = stackalloc uint[BatchBlocks * PhiloxStream.ElementsPerBlock32];
            long e = start;
            while (e < end)
            {
                long block = e >> 2;
                int blocks = (int)Math.Min(BatchBlocks, ((end - 1) >> 2) - block + 1);
                Philox4x32.Blocks(k0, k1, unchecked(_offset + (ulong)block), words[..(blocks * 4)]);
                long first = block << 2;
                long stop = Math.Min(end, first + (blocks * 4));
                for (; e < stop; e++)
                {
                    factors[e - start] = (words[(int)(e - first)] >> 8) < _keepThreshold ? _keepScale : T.Zero;
                }
            }
        }
    }

    /// <summary>The gradient operands of the backward pass.</summary>
    private readonly struct AttentionGradients<T>(BufferView gradOutput, BufferView gradQuery, BufferView gradKey, BufferView gradValue)
        where T : unmanaged
    {
        public readonly HeadMatrices<T> DO = new(gradOutput), DQ = new(gradQuery), DK = new(gradKey), DV = new(gradValue);
    }

    /// <summary>Forward (no gradients given) or backward over a range of (batch, head) pairs.</summary>
    private struct AttentionBody<T> : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly AttentionProblem<T> Problem;
        private readonly AttentionGradients<T> _grads;
        private readonly bool _backward;

        public AttentionBody(AttentionProblem<T> problem)
        {
            Problem = problem;
        }

        public AttentionBody(AttentionProblem<T> problem, AttentionGradients<T> grads)
        {
            Problem = problem;
            _grads = grads;
            _backward = true;
        }

        /// <summary>Whether each GEMM may split across cores (set when heads run one after another).</summary>
        public bool ParallelGemm { get; set; }

        public readonly void Execute(int start, int end)
        {
            ref readonly AttentionProblem<T> p = ref Problem;
            int rowBlock = Math.Min(AttentionRowBlock, p.Tq);
            int keys = Math.Max(p.Tk, 1);

            // Per-worker scratch from the pool: a score block, a second block for dP in backward, and
            // one row of dropout factors. Returned at the end, so the next call finds it cached.
            int blockElements = rowBlock * keys;
            int total = (_backward ? 2 * blockElements : blockElements) + (p.Dropout ? keys : 0);
            Storage scratch = Storage.Allocate(CpuBackend.Instance, typeof(T) == typeof(float) ? DType.Float32 : DType.Float64, total);
            try
            {
                T* scores = Ptr<T>(scratch);
                T* second = scores + blockElements;
                T* factors = _backward ? second + blockElements : second;
                for (int head = start; head < end; head++)
                {
                    int b = head / p.Heads, h = head % p.Heads;
                    if (_backward)
                    {
                        BackwardHead(b, h, rowBlock, scores, second, factors);
                    }
                    else
                    {
                        ForwardHead(b, h, rowBlock, scores, factors);
                    }
                }
            }
            finally
            {
                scratch.Release();
            }
        }

        private readonly void ForwardHead(int b, int h, int rowBlock, T* scores, T* factors)
        {
            ref readonly AttentionProblem<T> p = ref Problem;
            T* q = p.Q.At(b, h), k = p.K.At(b, h), v = p.V.At(b, h), o = p.O.At(b, h);
            T* lse = p.LogSumExp + ((((long)b * p.Heads) + h) * p.Tq);
            for (int r0 = 0; r0 < p.Tq; r0 += rowBlock)
            {
                int rows = Math.Min(rowBlock, p.Tq - r0);
                int keys = p.Causal ? Math.Min(p.Tk, r0 + rows) : p.Tk;

                // S = scale * Q_block K^T over the keys this block can see.
                AttentionGemm(ParallelGemm, false, true, rows, keys, p.D, p.Scale,
                    q + ((long)r0 * p.Q.RowStride), p.Q.RowStride, k, p.K.RowStride, T.Zero, scores, Math.Max(keys, 1));
                for (int r = 0; r < rows; r++)
                {
                    int i = r0 + r;
                    T* row = scores + ((long)r * keys);
                    int limit = p.MaskRow(row, b, h, i, keys);
                    var visible = new Span<T>(row, limit);
                    T max = limit > 0 ? TP.Max<T>(visible) : T.NegativeInfinity;
                    if (T.IsNegativeInfinity(max))
                    {
                        // No visible key: the row's weights are all zero, so its output is 0, not NaN.
                        new Span<T>(row, keys).Clear();
                        lse[i] = T.PositiveInfinity;
                        continue;
                    }

                    TP.Subtract(visible, max, visible);
                    TP.Exp(visible, visible);
                    T sum = AccurateSum.Sum<T>(visible);
                    TP.Multiply(visible, T.One / sum, visible);
                    new Span<T>(row + limit, keys - limit).Clear();
                    lse[i] = max + T.Log(sum);
                    if (p.Dropout)
                    {
                        p.DropoutFactors(b, h, i, limit, factors);
                        TP.Multiply(visible, new ReadOnlySpan<T>(factors, limit), visible);
                    }
                }

                // O_block = P V.
                AttentionGemm(ParallelGemm, false, false, rows, p.Dv, keys, T.One,
                    scores, Math.Max(keys, 1), v, p.V.RowStride, T.Zero, o + ((long)r0 * p.O.RowStride), p.O.RowStride);
            }
        }

        private readonly void BackwardHead(int b, int h, int rowBlock, T* probs, T* dp, T* factors)
        {
            ref readonly AttentionProblem<T> p = ref Problem;
            T* q = p.Q.At(b, h), k = p.K.At(b, h), v = p.V.At(b, h), o = p.O.At(b, h);
            T* dO = _grads.DO.At(b, h), dQ = _grads.DQ.At(b, h), dK = _grads.DK.At(b, h), dV = _grads.DV.At(b, h);
            T* lse = p.LogSumExp + ((((long)b * p.Heads) + h) * p.Tq);

            // dK and dV accumulate over the row blocks, which may see fewer keys than there are.
            for (int j = 0; j < p.Tk; j++)
            {
                new Span<T>(dK + ((long)j * _grads.DK.RowStride), p.D).Clear();
                new Span<T>(dV + ((long)j * _grads.DV.RowStride), p.Dv).Clear();
            }

            for (int r0 = 0; r0 < p.Tq; r0 += rowBlock)
            {
                int rows = Math.Min(rowBlock, p.Tq - r0);
                int keys = p.Causal ? Math.Min(p.Tk, r0 + rows) : p.Tk;
                int ld = Math.Max(keys, 1);
                T* qBlock = q + ((long)r0 * p.Q.RowStride);
                T* dOBlock = dO + ((long)r0 * _grads.DO.RowStride);

                // Recompute the scores, and dP' = dO V^T (the gradient of the dropped-out weights).
                AttentionGemm(ParallelGemm, false, true, rows, keys, p.D, p.Scale, qBlock, p.Q.RowStride, k, p.K.RowStride, T.Zero, probs, ld);
                AttentionGemm(ParallelGemm, false, true, rows, keys, p.Dv, T.One, dOBlock, _grads.DO.RowStride, v, p.V.RowStride, T.Zero, dp, ld);
                for (int r = 0; r < rows; r++)
                {
                    int i = r0 + r;
                    T* row = probs + ((long)r * keys);
                    T* dRow = dp + ((long)r * keys);
                    int limit = p.MaskRow(row, b, h, i, keys);
                    if (T.IsPositiveInfinity(lse[i]))
                    {
                        // A fully masked row had zero weights: no gradient flows through it.
                        new Span<T>(row, keys).Clear();
                        new Span<T>(dRow, keys).Clear();
                        continue;
                    }

                    // P = exp(S - lse), exactly the forward's softmax without a second reduction.
                    var pr = new Span<T>(row, limit);
                    var dpr = new Span<T>(dRow, limit);
                    TP.Subtract(pr, lse[i], pr);
                    TP.Exp(pr, pr);
                    new Span<T>(row + limit, keys - limit).Clear();
                    new Span<T>(dRow + limit, keys - limit).Clear();

                    // Softmax backward: dS = P * (dP - sum_j P dP), and sum_j P dP = dO . O even with
                    // dropout, since O = P' V. With dropout dP = dP' * z and P' = P * z.
                    T delta = AccurateSum.Dot<T>(
                        new ReadOnlySpan<T>(dOBlock + ((long)r * _grads.DO.RowStride), p.Dv),
                        new ReadOnlySpan<T>(o + ((long)i * p.O.RowStride), p.Dv));
                    if (p.Dropout)
                    {
                        p.DropoutFactors(b, h, i, limit, factors);
                        var z = new ReadOnlySpan<T>(factors, limit);
                        TP.Multiply(dpr, z, dpr);
                        TP.Subtract(dpr, delta, dpr);
                        TP.Multiply(dpr, pr, dpr);
                        TP.Multiply(pr, z, pr);
                    }
                    else
                    {
                        TP.Subtract(dpr, delta, dpr);
                        TP.Multiply(dpr, pr, dpr);
                    }
                }

                // dV += P'^T dO; dQ = scale * dS K; dK += scale * dS^T Q.
                AttentionGemm(ParallelGemm, true, false, keys, p.Dv, rows, T.One, probs, ld, dOBlock, _grads.DO.RowStride, T.One, dV, _grads.DV.RowStride);
                AttentionGemm(ParallelGemm, false, false, rows, p.D, keys, p.Scale, dp, ld, k, p.K.RowStride, T.Zero, dQ + ((long)r0 * _grads.DQ.RowStride), _grads.DQ.RowStride);
                AttentionGemm(ParallelGemm, true, false, keys, p.D, rows, p.Scale, dp, ld, qBlock, p.Q.RowStride, T.One, dK, _grads.DK.RowStride);
            }
        }
    }

    /// <summary>
    /// One GEMM of the attention kernels: on the calling thread when heads already run in parallel
    /// (nested splitting would only add wake-ups), else through the public entry point that splits
    /// large products across cores.
    /// </summary>
    private static void AttentionGemm<T>(bool parallel, bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (parallel || k == 0)
        {
            if (typeof(T) == typeof(float))
            {
                Gemm.Sgemm(transA, transB, m, n, k, float.CreateTruncating(alpha), (float*)a, lda, (float*)b, ldb, float.CreateTruncating(beta), (float*)c, ldc);
            }
            else
            {
                Gemm.Dgemm(transA, transB, m, n, k, double.CreateTruncating(alpha), (double*)a, lda, (double*)b, ldb, double.CreateTruncating(beta), (double*)c, ldc);
            }
        }
        else if (GemmMicroKernel512<T>.IsSupported)
        {
            GemmDriver<T, GemmMicroKernel512<T>>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else if (GemmMicroKernel256<T>.IsSupported)
        {
            GemmDriver<T, GemmMicroKernel256<T>>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else
        {
            GemmDriver<T, GemmMicroKernelScalar<T>>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }
}
