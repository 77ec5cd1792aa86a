using Spamp.Memory;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    /// <remarks>
    /// Each operand goes to the packed GEMM as it lies whenever its two inner strides describe a
    /// row-major matrix or its transpose (so x @ w.T never copies w); only other layouts are
    /// first copied into pooled scratch.
    /// </remarks>
    public override void MatMul(Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst)
    {
        int batch = aLayout.Shape[0], m = aLayout.Shape[1], k = aLayout.Shape[2], n = bLayout.Shape[2];
        if (batch == 0 || m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            Fill(dst, Dense(new Shape(batch, m, n)), 0);
            return;
        }

        Storage? aScratch = null, bScratch = null;
        try
        {
            var opA = GemmOperand.Of(this, a, aLayout, ref aScratch);
            var opB = GemmOperand.Of(this, b, bLayout, ref bScratch);
            long strideC = (long)m * n;
            switch (dst.DType)
            {
                case DType.Float32:
                    Gemm.SgemmBatched(batch, opA.Transposed, opB.Transposed, m, n, k,
                        (float*)opA.Pointer, opA.BatchStride, opA.LeadingDimension,
                        (float*)opB.Pointer, opB.BatchStride, opB.LeadingDimension,
                        Ptr<float>(dst), strideC, n);
                    break;
                case DType.Float64:
                    Gemm.DgemmBatched(batch, opA.Transposed, opB.Transposed, m, n, k,
                        (double*)opA.Pointer, opA.BatchStride, opA.LeadingDimension,
                        (double*)opB.Pointer, opB.BatchStride, opB.LeadingDimension,
                        Ptr<double>(dst), strideC, n);
                    break;
                default:
                    throw Unsupported("matmul", dst.DType);
            }
        }
        finally
        {
            aScratch?.Release();
            bScratch?.Release();
        }
    }

    /// <summary>One [batch, rows, cols] operand as the GEMM wants it: pointer, transpose flag, leading dimension, batch stride.</summary>
    private readonly struct GemmOperand(byte* pointer, bool transposed, int leadingDimension, long batchStride)
    {
        public readonly byte* Pointer = pointer;
        public readonly bool Transposed = transposed;
        public readonly int LeadingDimension = leadingDimension;
        public readonly long BatchStride = batchStride;

        public static GemmOperand Of(CpuBackend backend, Storage storage, Layout layout, ref Storage? scratch)
        {
            int batch = layout.Shape[0], rows = layout.Shape[1], cols = layout.Shape[2];
            int batchStride = batch == 1 ? 0 : layout.Strides[0];
            int rowStride = layout.Strides[1], colStride = layout.Strides[2];
            int size = storage.DType.SizeOf();
            byte* start = BytePtr(storage) + ((long)layout.Offset * size);

            // Row-major: consecutive columns adjacent, rows at least a row apart (a size-1 dimension's stride is irrelevant).
            if ((cols == 1 || colStride == 1) && (rows == 1 || rowStride >= cols))
            {
                return new GemmOperand(start, false, rows == 1 ? cols : rowStride, batchStride);
            }

            // Column-major: the transpose of a row-major matrix.
            if ((rows == 1 || rowStride == 1) && (cols == 1 || colStride >= rows))
            {
                return new GemmOperand(start, true, cols == 1 ? rows : colStride, batchStride);
            }

            // Anything else (broadcast rows, sliced steps) is packed densely first. A broadcast batch
            // stays one matrix with batch stride 0.
            int copies = batchStride == 0 ? 1 : batch;
            scratch = Storage.Allocate(backend, storage.DType, copies * rows * cols);
            var source = new Layout(new Shape(copies, rows, cols), [batchStride, rowStride, colStride], layout.Offset);
            backend.Copy(storage, source, scratch, Dense(source.Shape));
            return new GemmOperand(BytePtr(scratch), false, cols, batchStride == 0 ? 0 : (long)rows * cols);
        }
    }
}
