namespace Spamp.Backends.Cpu;

/// <summary>
/// One run of elements along the innermost (coalesced) dimension: for each operand k the element
/// offset of the run's first element and the stride between its elements.
/// </summary>
internal readonly struct Segment
{
    public readonly int O0, O1, O2, O3;
    public readonly int S0, S1, S2, S3;
    public readonly int Length;

    public Segment(int o0, int o1, int o2, int o3, int s0, int s1, int s2, int s3, int length)
    {
        O0 = o0;
        O1 = o1;
        O2 = o2;
        O3 = o3;
        S0 = s0;
        S1 = s1;
        S2 = s2;
        S3 = s3;
        Length = length;
    }
}

/// <summary>What an element-wise kernel does with one <see cref="Segment"/>.</summary>
internal interface ISegmentKernel
{
    /// <summary>Processes the elements of one segment.</summary>
    void Run(in Segment segment);
}

/// <summary>
/// The iteration space of an element-wise operation over up to four operands that share a shape but
/// not strides. Dimensions of size 1 are dropped and adjacent dimensions are merged wherever the
/// merge is valid for every operand, so a contiguous tensor becomes one long row and a bias add
/// [N,C]+[C] becomes N rows of C; kernels then see long unit-stride rows (span paths) instead of
/// per-element index arithmetic.
/// </summary>
internal sealed class StridedLoop
{
    private const int MaxOperands = 4;

    private readonly int[] _dims;
    private readonly int[] _strides; // [operand * Rank + dim]
    private readonly int[] _offsets;

    private StridedLoop(int[] dims, int[] strides, int[] offsets, int numel)
    {
        _dims = dims;
        _strides = strides;
        _offsets = offsets;
        Numel = numel;
    }

    /// <summary>Number of (coalesced) dimensions, at least 1.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of elements visited.</summary>
    public int Numel { get; }

    /// <summary>Length of the innermost coalesced dimension (the longest run a kernel sees).</summary>
    public int InnerSize => _dims[^1];

    /// <summary>The inner stride of operand <paramref name="operand"/>.</summary>
    public int InnerStride(int operand) => _strides[(operand * Rank) + Rank - 1];

    /// <summary>Size of coalesced dimension <paramref name="dim"/>.</summary>
    public int Dim(int dim) => _dims[dim];

    /// <summary>Stride of operand <paramref name="operand"/> along coalesced dimension <paramref name="dim"/>.</summary>
    public int Stride(int operand, int dim) => _strides[(operand * Rank) + dim];

    /// <summary>Base offset of operand <paramref name="operand"/>.</summary>
    public int Offset(int operand) => _offsets[operand];

    /// <summary>
    /// Plans the loop over <paramref name="shape"/> for operands given as (strides, offset) layouts;
    /// every layout must have <paramref name="shape"/>'s rank.
    /// </summary>
    public static StridedLoop Create(Shape shape, params ReadOnlySpan<Layout> layouts)
    {
        int operands = layouts.Length;
        if (operands > MaxOperands)
        {
            throw new ArgumentException($"at most {MaxOperands} operands", nameof(layouts));
        }

        int rank = shape.Rank;
        Span<int> dims = stackalloc int[Math.Max(rank, 1)];
        Span<int> strides = stackalloc int[MaxOperands * Math.Max(rank, 1)];
        int kept = 0;

        // Walk from the innermost dimension outwards, merging each into the current run when, for
        // every operand, stepping once along it equals stepping across the whole run.
        for (int d = rank - 1; d >= 0; d--)
        {
            int size = shape[d];
            if (size == 1)
            {
                continue;
            }

            bool merge = kept > 0;
            for (int k = 0; merge && k < operands; k++)
            {
                merge = layouts[k].Strides[d] == (long)strides[(k * rank) + kept - 1] * dims[kept - 1];
            }

            if (merge)
            {
                dims[kept - 1] *= size;
            }
            else
            {
                dims[kept] = size;
                for (int k = 0; k < operands; k++)
                {
                    strides[(k * rank) + kept] = layouts[k].Strides[d];
                }

                kept++;
            }
        }

        // Collected innermost first; store outermost first. Operands beyond the given ones have stride 0.
        int outRank = Math.Max(kept, 1);
        var outDims = new int[outRank];
        var outStrides = new int[MaxOperands * outRank];
        var offsets = new int[MaxOperands];
        if (kept == 0)
        {
            outDims[0] = shape.Numel; // a scalar (1) or an empty tensor (0)
        }

        for (int i = 0; i < kept; i++)
        {
            outDims[outRank - 1 - i] = dims[i];
            for (int k = 0; k < operands; k++)
            {
                outStrides[(k * outRank) + outRank - 1 - i] = strides[(k * rank) + i];
            }
        }

        for (int k = 0; k < operands; k++)
        {
            offsets[k] = layouts[k].Offset;
        }

        return new StridedLoop(outDims, outStrides, offsets, shape.Numel);
    }

    /// <summary>Runs <paramref name="kernel"/> over every element, on several cores when the loop is large and <paramref name="parallel"/> allows it.</summary>
    public void Run<TKernel>(TKernel kernel, bool parallel = true, long costPerElement = 1)
        where TKernel : struct, ISegmentKernel
    {
        if (Numel == 0)
        {
            return;
        }

        int chunks = parallel ? CpuParallel.ChunkCount(Numel, costPerElement) : 1;
        if (chunks <= 1)
        {
            Execute(ref kernel, 0, Numel);
            return;
        }

        Parallel.For(0, chunks, chunk =>
        {
            var local = kernel;
            Execute(ref local, CpuParallel.Start(chunk, chunks, Numel), CpuParallel.Start(chunk + 1, chunks, Numel));
        });
    }

    /// <summary>Runs <paramref name="kernel"/> over the elements with row-major linear indices [start, end).</summary>
    public void Execute<TKernel>(ref TKernel kernel, int start, int end)
        where TKernel : struct, ISegmentKernel
    {
        int rank = Rank;
        int inner = _dims[rank - 1];
        int row = start / inner;
        int col = start - (row * inner);
        Span<int> index = stackalloc int[rank];
        Span<int> rowOffset = stackalloc int[MaxOperands];
        for (int k = 0; k < MaxOperands; k++)
        {
            rowOffset[k] = _offsets[k];
        }

        for (int d = rank - 2; d >= 0; d--)
        {
            index[d] = row % _dims[d];
            row /= _dims[d];
            for (int k = 0; k < MaxOperands; k++)
            {
                rowOffset[k] += index[d] * _strides[(k * rank) + d];
            }
        }

        int s0 = _strides[rank - 1], s1 = _strides[(2 * rank) - 1], s2 = _strides[(3 * rank) - 1], s3 = _strides[(4 * rank) - 1];
        int pos = start;
        while (true)
        {
            int length = Math.Min(inner - col, end - pos);
            var segment = new Segment(
                rowOffset[0] + (col * s0), rowOffset[1] + (col * s1), rowOffset[2] + (col * s2), rowOffset[3] + (col * s3),
                s0, s1, s2, s3, length);
            kernel.Run(in segment);
            pos += length;
            if (pos >= end)
            {
                return;
            }

            col = 0;
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < _dims[d])
                {
                    for (int k = 0; k < MaxOperands; k++)
                    {
                        rowOffset[k] += _strides[(k * rank) + d];
                    }

                    break;
                }

                index[d] = 0;
                for (int k = 0; k < MaxOperands; k++)
                {
                    rowOffset[k] -= _strides[(k * rank) + d] * (_dims[d] - 1);
                }
            }
        }
    }
}
