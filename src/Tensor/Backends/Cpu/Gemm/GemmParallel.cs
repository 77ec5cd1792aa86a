using System.Numerics;

namespace Spamp.Backends.Cpu;

/// <summary>
/// Splits one GEMM (or a batch of GEMMs) into a few large, independent parts and runs them with
/// <see cref="Parallel.For(int, int, Action{int})"/>.
/// </summary>
/// <remarks>
/// <para>
/// The parts are coarse on purpose: with a handful of cores, each thread gets one contiguous range of
/// columns (or rows) of C and runs the whole blocked algorithm on it with its own packing buffers. The
/// threads never synchronise inside the GEMM; the price is that each thread packs the shared operand
/// itself (O(mk) or O(kn) extra copying against O(mnk / threads) arithmetic).
/// </para>
/// <para>
/// For batched products whose members are small (attention: many 128 x 64 x 128 products) the parts are
/// ranges of the batch instead, so every thread runs whole single-threaded GEMMs back to back.
/// </para>
/// <para>
/// The job object and its delegate are cached per calling thread, so a call allocates nothing beyond what
/// <c>Parallel.For</c> itself needs.
/// </para>
/// </remarks>
internal sealed unsafe class GemmJob<T, TKernel>
    where T : unmanaged, INumber<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    [ThreadStatic]
    private static GemmJob<T, TKernel>? s_cached;

    private readonly Action<int> _body;
    private bool _inUse;
    private int _parts;
    private Mode _mode;

    private int _batch;
    private bool _transA;
    private bool _transB;
    private int _m;
    private int _n;
    private int _k;
    private T _alpha;
    private T _beta;
    private T* _a;
    private T* _b;
    private T* _c;
    private nint _lda;
    private nint _ldb;
    private nint _ldc;
    private long _strideA;
    private long _strideB;
    private long _strideC;

    private GemmJob()
    {
        _body = Execute;
    }

    private enum Mode
    {
        SplitRows,
        SplitColumns,
        SplitBatch,
    }

    /// <summary>Runs one GEMM with C split by rows (<paramref name="byRows"/>) or columns into <paramref name="parts"/> parts.</summary>
    public static void RunSplit(int parts, bool byRows, bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, nint lda, T* b, nint ldb, T beta, T* c, nint ldc)
    {
        var job = Rent();
        job._mode = byRows ? Mode.SplitRows : Mode.SplitColumns;
        job.Set(parts, 1, transA, transB, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
        job.Run();
    }

    /// <summary>Runs <paramref name="batch"/> GEMMs, each part doing a contiguous range of the batch single-threaded.</summary>
    public static void RunBatched(int parts, int batch, bool transA, bool transB, int m, int n, int k,
        T* a, long strideA, nint lda, T* b, long strideB, nint ldb, T* c, long strideC, nint ldc)
    {
        var job = Rent();
        job._mode = Mode.SplitBatch;
        job.Set(parts, batch, transA, transB, m, n, k, T.One, a, strideA, lda, b, strideB, ldb, T.Zero, c, strideC, ldc);
        job.Run();
    }

    private static GemmJob<T, TKernel> Rent()
    {
        // A thread that is already inside a job (e.g. re-entered through work-stealing) gets a fresh one.
        var job = s_cached ??= new GemmJob<T, TKernel>();
        return job._inUse ? new GemmJob<T, TKernel>() : job;
    }

    private void Set(int parts, int batch, bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, long strideA, nint lda, T* b, long strideB, nint ldb, T beta, T* c, long strideC, nint ldc)
    {
        _parts = parts;
        _batch = batch;
        _transA = transA;
        _transB = transB;
        _m = m;
        _n = n;
        _k = k;
        _alpha = alpha;
        _beta = beta;
        _a = a;
        _b = b;
        _c = c;
        _lda = lda;
        _ldb = ldb;
        _ldc = ldc;
        _strideA = strideA;
        _strideB = strideB;
        _strideC = strideC;
    }

    private void Run()
    {
        _inUse = true;
        try
        {
            Parallel.For(0, _parts, _body);
        }
        finally
        {
            _inUse = false;
            _a = _b = _c = null;
        }
    }

    private void Execute(int part)
    {
        switch (_mode)
        {
            case Mode.SplitColumns:
                {
                    // Column ranges in whole NR slivers, so only the last part has a partial sliver.
                    var (j0, j1) = Range(part, _n, TKernel.NR);
                    if (j1 > j0)
                    {
                        var b = _transB ? _b + (j0 * _ldb) : _b + j0;
                        GemmDriver<T, TKernel>.Run(_transA, _transB, _m, j1 - j0, _k, _alpha, _a, _lda, b, _ldb, _beta, _c + j0, _ldc);
                    }

                    break;
                }

            case Mode.SplitRows:
                {
                    var (i0, i1) = Range(part, _m, TKernel.MR);
                    if (i1 > i0)
                    {
                        var a = _transA ? _a + i0 : _a + (i0 * _lda);
                        GemmDriver<T, TKernel>.Run(_transA, _transB, i1 - i0, _n, _k, _alpha, a, _lda, _b, _ldb, _beta, _c + (i0 * _ldc), _ldc);
                    }

                    break;
                }

            default:
                {
                    var (first, last) = Range(part, _batch, 1);
                    for (var i = first; i < last; i++)
                    {
                        GemmDriver<T, TKernel>.Run(_transA, _transB, _m, _n, _k, _alpha,
                            _a + (i * _strideA), _lda, _b + (i * _strideB), _ldb, _beta, _c + (i * _strideC), _ldc);
                    }

                    break;
                }
        }
    }

    /// <summary>The half-open range of part <paramref name="part"/> when splitting <paramref name="total"/> in units.</summary>
    private (int Start, int End) Range(int part, int total, int unit)
    {
        var units = (total + unit - 1) / unit;
        var start = (int)((long)units * part / _parts) * unit;
        var end = (int)((long)units * (part + 1) / _parts) * unit;
        return (Math.Min(start, total), Math.Min(end, total));
    }
}
